"""First run and Sign in…: sign in to AWS, to Azure (when it lands), or try the demo."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.config import AwsConfig, load_config, update_config
from desktop.core.humanize import printable
from desktop.qt.bridge import CloudBridge
from desktop.qt.controller import problem_for

# (profile or None, show_code(verification_url, user_code)) -> what happened, in words.
# Supplied by the composition root; runs on a worker thread.
SignIn = Callable[[str | None, Callable[[str, str], None]], str]


class SignInWindow(QWidget):
    """Non-modal: the device-code sign-in runs on a worker while the window stays responsive."""

    def __init__(
        self,
        bridge: CloudBridge,
        config_path: Path,
        sign_in: SignIn | None,
        title_prefix: str,
        *,
        on_signed_in: Callable[[], None],
        on_try_demo: Callable[[], None],
        first_run: bool = False,
    ) -> None:
        super().__init__()
        self.bridge = bridge
        self.config_path = config_path
        self._sign_in = sign_in
        self._on_signed_in = on_signed_in
        self.setObjectName("sign-in-window")
        self.setWindowTitle(f"{title_prefix} — {'Welcome' if first_run else 'Sign in'}")
        intro = QLabel(
            "devtray finds your cloud VM and starts, stops and resizes it from the tray.\n"
            "Sign in to your cloud, or try everything first in the demo cloud."
            if first_run
            else "Sign in to your cloud."
        )
        intro.setWordWrap(True)
        aws = QGroupBox("AWS (IAM Identity Center)")
        configured = load_config(config_path).aws or AwsConfig()
        self.profile = QLineEdit(configured.profile or "")
        self.profile.setObjectName("sign-in-profile")
        self.profile.setPlaceholderText("AWS profile with sso_start_url (empty: default)")
        self.aws_button = QPushButton("Sign in to AWS")
        self.aws_button.setObjectName("sign-in-aws")
        self.aws_button.setEnabled(sign_in is not None)
        self.aws_button.clicked.connect(self.sign_in_aws)
        aws_row = QHBoxLayout(aws)
        aws_row.addWidget(self.profile)
        aws_row.addWidget(self.aws_button)
        azure = QPushButton("Sign in to Azure — coming soon")
        azure.setEnabled(False)
        demo = QPushButton("Try the demo")
        demo.setObjectName("try-demo")
        demo.clicked.connect(on_try_demo)
        demo.clicked.connect(self.close)
        self.status = QLabel()
        self.status.setObjectName("sign-in-status")
        self.status.setWordWrap(True)
        self.status.setOpenExternalLinks(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(aws)
        layout.addWidget(azure)
        layout.addWidget(demo)
        layout.addWidget(self.status)
        self.resize(480, 260)

    def sign_in_aws(self) -> None:
        """Remember the profile, then run the device sign-in on a worker."""
        if self._sign_in is None:
            return
        sign_in = self._sign_in
        profile = self.profile.text().strip() or None
        self.aws_button.setEnabled(False)
        self.status.setText("Starting sign-in…")

        def show_code(url: str, code: str) -> None:
            # Called on the worker: hand the text to the GUI thread, open the browser from here.
            self.bridge.call_on_gui(
                lambda: self.status.setText(
                    f"Open {printable(url)} and enter the code <b>{printable(code)}</b>."
                )
            )
            webbrowser.open(url)

        def run() -> str:
            if profile is not None:
                update_config(self.config_path, {"aws": {"profile": profile}})
            return sign_in(profile, show_code)

        self.bridge.submit(run, self._signed_in, self._failed)

    def _signed_in(self, message: str) -> None:
        self.status.setText(printable(message))
        self.aws_button.setEnabled(True)
        self._on_signed_in()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"⚠ {problem_for(error).text()}")
        self.aws_button.setEnabled(True)
