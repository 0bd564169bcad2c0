"""The use cases both faces (the CLI and the tray) call: the day, connect, sync, config.

Qt-free. Services own every child process of the day and publish their state as frozen
snapshots; the faces render the latest snapshot and never re-decide a service's guards.
"""
