"""The only package that imports PySide6: tray, menus, dialogs, the core-to-Qt bridge."""
