"""The log in a window: for a desktop with no application that opens text files or folders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase, QGuiApplication, QTextCursor
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout

from desktop.qt.window_keys import ClosableWindow

TAIL_BYTES = 256_000  # the end of the log is what a person (or a bug report) needs


def log_tail(path: Path, size: int = TAIL_BYTES) -> str:
    """The last `size` bytes of the log (from a line start), or why there is nothing."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            start = max(0, handle.tell() - size)
            handle.seek(start)
            data = handle.read()
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    text = data.decode("utf-8", errors="replace")
    return text.split("\n", 1)[1] if start and "\n" in text else text


class LogWindow(ClosableWindow):
    """devtray's log, read-only, scrolled to the end; Copy puts it on the clipboard."""

    def __init__(self, title_prefix: str, path: Path) -> None:
        super().__init__()
        self.path = path
        self.setObjectName("log-window")
        self.setWindowTitle(self.tr("{app} — Log").format(app=title_prefix))
        where = QLabel(
            self.tr("No application opens text files here; the log is {path}").format(path=path)
        )
        where.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("log-text")
        self.text.setAccessibleName(self.tr("Log"))
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton(self.tr("&Copy"), QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(where)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(760, 480)
        self.reload()

    def reload(self) -> None:
        """Read the log again and show its end."""
        self.text.setPlainText(log_tail(self.path))
        self.text.moveCursor(QTextCursor.MoveOperation.End)
