"""The keys that close a window, for the tray's plain (non-dialog) windows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

_CLOSE_KEYS = frozenset({Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter})


class ClosableWindow(QWidget):
    """A top-level window that Esc, Return and Ctrl+W (Cmd+W) close, as they close a dialog.

    A child that uses the key itself (a focused button) keeps it: only keys it leaves
    unhandled reach the window; Return in a text field is that field's (it submits it).
    """

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        typing = isinstance(QApplication.focusWidget(), QLineEdit)
        key = event.key()
        closes = key == Qt.Key.Key_Escape or (key in _CLOSE_KEYS and not typing)
        if (plain and closes) or event.matches(QKeySequence.StandardKey.Close):
            self.close()
            return
        super().keyPressEvent(event)
