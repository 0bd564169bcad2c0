"""The interface every sync engine offers (built-in rsync, Mutagen)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from desktop.core.sync_state import SyncControl, SyncStatus

StatusListener = Callable[[SyncStatus], None]


class SyncEngine(SyncControl, Protocol):
    """A running sync between a project folder and its folder on the VM.

    `start` returns at once (the first whole-tree sync runs in the background; `flush` waits
    for it); `stop` ends every child process the engine started before it returns.
    """

    name: str

    def start(self) -> None:
        """Begin watching and syncing."""
        ...

    def stop(self) -> None:
        """Stop syncing and end the engine's child processes."""
        ...

    def add_listener(self, listener: StatusListener) -> None:
        """Call `listener` with each new status (from the engine's threads)."""
        ...

    def on_wake(self, seconds: float) -> None:
        """The laptop slept for `seconds`: connections are dead; catch up now."""
        ...
