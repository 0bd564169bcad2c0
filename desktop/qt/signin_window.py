"""First run and Sign in…: sign in to AWS, to Azure, or try the demo."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable, Mapping
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

from desktop.core.config import AwsConfig, AzureConfig, load_config, update_config
from desktop.core.humanize import printable
from desktop.qt.bridge import CloudBridge
from desktop.qt.controller import problem_for

# (AWS profile or Azure tenant, or None; show_code(verification_url, user_code)) -> what
# happened, in words. Supplied by the composition root; runs on a worker thread.
SignIn = Callable[[str | None, Callable[[str, str], None]], str]

_NO_AZURE = AzureConfig(labs=())


def _cloud_row(
    title: str, value: str | None, placeholder: str, names: tuple[str, str], cloud: str
) -> tuple[QLineEdit, QPushButton, QGroupBox]:
    """One cloud's box: what to sign in to (profile, tenant) and its button."""
    box = QGroupBox(title)
    line = QLineEdit(value or "")
    line.setObjectName(names[0])
    line.setPlaceholderText(placeholder)
    button = QPushButton(f"Sign in to {cloud}")
    button.setObjectName(names[1])
    row = QHBoxLayout(box)
    row.addWidget(line)
    row.addWidget(button)
    return line, button, box


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
        azure_sign_in: SignIn | None = None,
    ) -> None:
        super().__init__()
        self.bridge = bridge
        self.config_path = config_path
        self._sign_in = sign_in
        self._azure_sign_in = azure_sign_in
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
        config = load_config(config_path)
        self.profile, self.aws_button, aws = _cloud_row(
            "AWS (IAM Identity Center)",
            (config.aws or AwsConfig()).profile,
            "AWS profile with sso_start_url (empty: default)",
            ("sign-in-profile", "sign-in-aws"),
            "AWS",
        )
        self.aws_button.clicked.connect(self.sign_in_aws)
        self.tenant, self.azure_button, azure = _cloud_row(
            "Microsoft Azure (DevTest Labs)",
            (config.azure or _NO_AZURE).tenant,
            "tenant id or domain (empty: your home tenant)",
            ("sign-in-tenant", "sign-in-azure"),
            "Azure",
        )
        self.azure_button.clicked.connect(self.sign_in_azure)
        self._set_buttons(enabled=True)
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
        profile = self.profile.text().strip() or None
        remember = {"aws": {"profile": profile}} if profile is not None else None
        # AWS always signs in with a device code: the browser opens on its page.
        self._run(self._sign_in, profile, remember, open_browser=True)

    def sign_in_azure(self) -> None:
        """Microsoft sign-in on a worker: a browser window, or a device code shown here."""
        # azure-identity opens the browser itself; it asks for a device code only where no
        # browser can open, so the code is shown, not opened.
        self._run(self._azure_sign_in, self.tenant.text().strip() or None, None, open_browser=False)

    def _run(
        self,
        sign_in: SignIn | None,
        choice: str | None,
        remember: Mapping[str, Mapping[str, object]] | None,
        *,
        open_browser: bool,
    ) -> None:
        if sign_in is None:
            return
        self._set_buttons(enabled=False)
        self.status.setText("Starting sign-in… finish it in the browser window that opens.")

        def show_code(url: str, code: str) -> None:
            # Called on the worker: hand the text to the GUI thread, open the browser from here.
            self.bridge.call_on_gui(
                lambda: self.status.setText(
                    f"Open {printable(url)} and enter the code <b>{printable(code)}</b>."
                )
            )
            if open_browser:
                webbrowser.open(url)

        def run() -> str:
            if remember is not None:
                update_config(self.config_path, remember)
            return sign_in(choice, show_code)

        self.bridge.submit(run, self._signed_in, self._failed)

    def _set_buttons(self, *, enabled: bool) -> None:
        self.aws_button.setEnabled(enabled and self._sign_in is not None)
        self.azure_button.setEnabled(enabled and self._azure_sign_in is not None)

    def _signed_in(self, message: str) -> None:
        self.status.setText(printable(message))
        self._set_buttons(enabled=True)
        self._on_signed_in()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"⚠ {problem_for(error).text()}")
        self._set_buttons(enabled=True)
