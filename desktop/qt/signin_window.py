"""First run and Sign in…: sign in to AWS, to Azure, or try the demo."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core import errors
from desktop.core.aws_sign_in import (
    NEW_PROFILE,
    AwsSignInRequest,
    RoleChoiceNeeded,
    remember_signed_in_profile,
)
from desktop.core.config import AwsConfig, AzureConfig, load_config
from desktop.core.humanize import printable
from desktop.core.provider import CancelToken
from desktop.qt.bridge import CloudBridge
from desktop.qt.controller import problem_for
from desktop.qt.window_keys import ClosableWindow

# show_code(verification_url, user_code): called on the worker when the code is known.
ShowCode = Callable[[str, str], None]
# (Azure tenant or None, show_code) -> what happened, in words. Supplied by the composition
# root; runs on a worker thread.
SignIn = Callable[[str | None, ShowCode], str]
# The same for AWS: what was typed, show_code, and a token that ends the wait for approval.
AwsSignIn = Callable[[AwsSignInRequest, ShowCode, CancelToken], str]

_NO_AZURE = AzureConfig(labs=())


def _line(name: str, value: str | None, placeholder: str) -> QLineEdit:
    line = QLineEdit(value or "")
    line.setObjectName(name)
    line.setPlaceholderText(placeholder)
    return line


class SignInWindow(ClosableWindow):
    """Non-modal: the device-code sign-in runs on a worker while the window stays responsive."""

    def __init__(
        self,
        bridge: CloudBridge,
        config_path: Path,
        sign_in: AwsSignIn | None,
        title_prefix: str,
        *,
        on_signed_in: Callable[[], None],
        on_try_demo: Callable[[], None],
        open_url: Callable[[str], None],
        first_run: bool = False,
        azure_sign_in: SignIn | None = None,
    ) -> None:
        super().__init__()
        self.bridge = bridge
        self.config_path = config_path
        self._sign_in = sign_in
        self._azure_sign_in = azure_sign_in
        self._on_signed_in = on_signed_in
        self._open_url = open_url
        self._cancel = CancelToken()  # of the sign-in under way; a new one for each
        self._choosing: RoleChoiceNeeded | None = None  # the roles offered, and for what
        self._asked: AwsSignInRequest | None = None
        self.setObjectName("sign-in-window")
        title = self.tr("{app} — Welcome") if first_run else self.tr("{app} — Sign in")
        self.setWindowTitle(title.format(app=title_prefix))
        intro = QLabel(
            self.tr(
                "devtray finds your cloud VM and starts, stops and resizes it from the tray.\n"
                "Sign in to your cloud, or try everything first in the demo cloud."
            )
            if first_run
            else self.tr("Sign in to your cloud.")
        )
        intro.setWordWrap(True)
        config = load_config(config_path)
        self.profile = _line(
            "sign-in-profile",
            (config.aws or AwsConfig()).profile,
            self.tr("AWS profile (empty: default; {new} when set up from a start URL)").format(
                new=NEW_PROFILE
            ),
        )
        self.start_url = _line(
            "sign-in-start-url",
            None,
            self.tr("https://my-company.awsapps.com/start (new profile only)"),
        )
        self.sso_region = _line("sign-in-sso-region", None, self.tr("its region, e.g. eu-west-1"))
        for field, name in (
            (self.profile, self.tr("AWS profile")),
            (self.start_url, self.tr("AWS start URL")),
            (self.sso_region, self.tr("AWS start URL's region")),
        ):
            field.setAccessibleName(name)
        self.aws_button = QPushButton(self.tr("Sign in to &AWS"))
        self.aws_button.setObjectName("sign-in-aws")
        self.aws_button.clicked.connect(self.sign_in_aws)
        aws = QGroupBox(self.tr("AWS (IAM Identity Center)"))
        form = QFormLayout(aws)
        form.addRow(self.tr("&Profile"), self.profile)
        form.addRow(self.tr("&Start URL"), self.start_url)
        form.addRow(self.tr("R&egion"), self.sso_region)
        form.addRow(self.aws_button)
        # Shown when the access portal offers several roles: the person picks one.
        self.roles = QComboBox()
        self.roles.setObjectName("sign-in-role")
        self.use_role = QPushButton(self.tr("&Use this role"))
        self.use_role.setObjectName("sign-in-use-role")
        self.use_role.clicked.connect(self.use_chosen_role)
        self.role_row = QWidget()
        choice = QHBoxLayout(self.role_row)
        choice.setContentsMargins(0, 0, 0, 0)
        choice.addWidget(QLabel(self.tr("Role")))
        choice.addWidget(self.roles, 1)
        choice.addWidget(self.use_role)
        self.role_row.hide()
        form.addRow(self.role_row)
        azure = QGroupBox(self.tr("Microsoft Azure (DevTest Labs)"))
        self.tenant = _line(
            "sign-in-tenant",
            (config.azure or _NO_AZURE).tenant,
            self.tr("tenant id or domain (empty: your home tenant)"),
        )
        self.tenant.setAccessibleName(self.tr("Azure tenant"))
        self.azure_button = QPushButton(self.tr("Sign in to A&zure"))
        self.azure_button.setObjectName("sign-in-azure")
        self.azure_button.clicked.connect(self.sign_in_azure)
        row = QHBoxLayout(azure)
        row.addWidget(self.tenant)
        row.addWidget(self.azure_button)
        self._set_buttons(enabled=True)
        demo = QPushButton(self.tr("&Try the demo"))
        demo.setObjectName("try-demo")
        demo.clicked.connect(on_try_demo)
        demo.clicked.connect(self.close)
        self.status = QLabel()
        self.status.setObjectName("sign-in-status")
        # Rich text (a link, the code in bold) built from escaped parts only: the URL, the
        # code and error messages come from the cloud.
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setWordWrap(True)
        self.status.setOpenExternalLinks(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(aws)
        layout.addWidget(azure)
        layout.addWidget(demo)
        layout.addWidget(self.status)
        self.resize(520, 360)

    def sign_in_aws(self) -> None:
        """Check what was typed, then run the device sign-in on a worker; the browser opens on
        its page. The profile is remembered in the config only once the sign-in succeeded."""
        if self._sign_in is None:
            return
        try:
            request = AwsSignInRequest.from_form(
                self.profile.text(), self.start_url.text(), self.sso_region.text()
            )
        except errors.BadConfig as exc:
            self._failed(exc)
            return
        self._sign_in_with(request)

    def use_chosen_role(self) -> None:
        """Finish the sign-in with the role picked from the list the portal offered."""
        if self._choosing is None or self._asked is None:
            return
        role = self._choosing.roles[self.roles.currentIndex()]
        self._sign_in_with(self._asked.with_role(role))

    def _sign_in_with(self, request: AwsSignInRequest) -> None:
        if self._sign_in is None:
            return
        self._asked, self._choosing = request, None
        self.role_row.hide()
        sign_in, cancel, config_path = self._sign_in, CancelToken(), self.config_path
        self._cancel = cancel
        self._run(
            lambda show: sign_in(request, show, cancel),
            lambda: remember_signed_in_profile(config_path, request),
            open_browser=True,
        )

    def sign_in_azure(self) -> None:
        """Microsoft sign-in on a worker: a browser window, or a device code shown here."""
        # azure-identity opens the browser itself; it asks for a device code only where no
        # browser can open, so the code is shown, not opened.
        sign_in, tenant = self._azure_sign_in, self.tenant.text().strip() or None
        if sign_in is not None:
            self._run(lambda show: sign_in(tenant, show), None, open_browser=False)

    def _run(
        self,
        sign_in: Callable[[ShowCode], str],
        remember: Callable[[], None] | None,
        *,
        open_browser: bool,
    ) -> None:
        self._set_buttons(enabled=False)
        self._say(self.tr("Starting sign-in… finish it in the browser window that opens."))

        def show_code(url: str, code: str) -> None:
            # Called on the worker: the window and the browser are the GUI thread's business.
            def show() -> None:
                link = html.escape(printable(url))
                self.status.setText(
                    self.tr(
                        'Open <a href="{url}">{url}</a> and enter the code <b>{code}</b>.'
                    ).format(url=link, code=html.escape(printable(code)))
                )
                if open_browser:
                    self._open_url(url)

            self.bridge.call_on_gui(show)

        def run() -> str:
            message = sign_in(show_code)
            if remember is not None:
                remember()  # only once the sign-in succeeded
            return message

        self.bridge.submit(run, self._signed_in, self._failed)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the window (or quitting) stops waiting for the browser's approval."""
        self._cancel.cancel()
        super().closeEvent(event)

    def _set_buttons(self, *, enabled: bool) -> None:
        self.aws_button.setEnabled(enabled and self._sign_in is not None)
        self.use_role.setEnabled(enabled)
        self.azure_button.setEnabled(enabled and self._azure_sign_in is not None)

    def _say(self, text: str) -> None:
        """Plain text in the status line (lines kept, nothing read as markup)."""
        lines = (html.escape(printable(line)) for line in text.splitlines())
        self.status.setText("<br>".join(lines))

    def _signed_in(self, message: str) -> None:
        self._say(message)
        self._set_buttons(enabled=True)
        self._on_signed_in()

    def _failed(self, error: BaseException) -> None:
        self._say(f"⚠ {problem_for(error).text()}")
        self._set_buttons(enabled=True)
        if isinstance(error, RoleChoiceNeeded):
            self._choosing = error
            self.roles.clear()
            self.roles.addItems([role.describe() for role in error.roles])
            self.role_row.show()
