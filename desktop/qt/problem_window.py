"""A non-modal window with an error: what happened, what to do, "Copy details" and "Open log".

An ordinary (typed) error shows its words only; the traceback of an unexpected one sits in a
"Technical details" box under them. Both are in the log already (`controller.problem_for`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from desktop.presentation.glance import Problem
from desktop.qt.window_keys import ClosableWindow


class ProblemWindow(ClosableWindow):
    """Shows one problem; reused (and raised) for the next one."""

    def __init__(self, title_prefix: str, open_log: Callable[[], None]) -> None:
        super().__init__()
        self._title_prefix = title_prefix
        self._problem: Problem | None = None
        self.setObjectName("problem-window")
        self.heading = QLabel()
        self.heading.setObjectName("problem-title")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setObjectName("problem-message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setObjectName("problem-hint")
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_label = QLabel(self.tr("Technical details (also in the log):"))
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setObjectName("problem-details")
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setAccessibleName(self.tr("Technical details"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton(
            self.tr("&Copy details"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.copy_button.setObjectName("copy-details")
        self.copy_button.clicked.connect(self.copy_details)
        self.log_button: QPushButton = buttons.addButton(
            self.tr("Open &log"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.log_button.setObjectName("open-log")
        self.log_button.clicked.connect(open_log)
        buttons.rejected.connect(self.close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.heading)
        layout.addWidget(self.message)
        layout.addWidget(self.hint)
        layout.addWidget(self.details_label)
        layout.addWidget(self.details, 1)
        layout.addStretch()
        layout.addWidget(buttons)
        self.resize(520, 200)

    def show_problem(self, problem: Problem) -> None:
        """Display `problem` and bring the window forward."""
        self._problem = problem
        self.setWindowTitle(f"{self._title_prefix} — {problem.title}")
        self.setAccessibleName(problem.title)
        self.heading.setText(problem.title)
        self.message.setText(problem.message)
        self.hint.setText(problem.hint or "")
        self.hint.setVisible(bool(problem.hint))
        self.details.setPlainText(problem.details or "")
        technical = bool(problem.details)
        self.details_label.setVisible(technical)
        self.details.setVisible(technical)
        self.resize(self.width(), 420 if technical else max(190, self.sizeHint().height()))
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
        """Put the problem's text (and traceback, for an unexpected one) on the clipboard."""
        QGuiApplication.clipboard().setText(self.details_text())
