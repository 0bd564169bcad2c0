"""A non-modal window with an error's full text, "Copy details" and "Open log"."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.glance import Problem


class ProblemWindow(QWidget):
    """Shows one problem; reused (and raised) for the next one."""

    def __init__(self, title_prefix: str, open_log: Callable[[], None]) -> None:
        super().__init__()
        self._title_prefix = title_prefix
        self._problem: Problem | None = None
        self.setObjectName("problem-window")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("problem-message")
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setObjectName("problem-details")
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setObjectName("copy-details")
        self.copy_button.clicked.connect(self.copy_details)
        self.log_button = QPushButton("Open log")
        self.log_button.setObjectName("open-log")
        self.log_button.clicked.connect(open_log)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.log_button)
        buttons.addStretch()
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self.resize(560, 320)

    def show_problem(self, problem: Problem) -> None:
        """Display `problem` and bring the window forward."""
        self._problem = problem
        self.setWindowTitle(f"{self._title_prefix} — {problem.title}")
        self.message.setText(problem.text())
        self.details.setPlainText(self.details_text())
        self.details.setVisible(bool(problem.details))
        self.show()
        self.raise_()
        self.activateWindow()

    def details_text(self) -> str:
        """What "Copy details" puts on the clipboard."""
        if self._problem is None:
            return ""
        parts = [self._problem.title, self._problem.text()]
        if self._problem.details:
            parts.append(self._problem.details)
        return "\n\n".join(parts)

    def copy_details(self) -> None:
        """Put the problem's text and traceback on the clipboard."""
        QGuiApplication.clipboard().setText(self.details_text())
