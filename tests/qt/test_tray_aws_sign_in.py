"""First run with no config and no credentials: signing in to AWS from the tray's welcome window.

Real pieces: the tray, its controller and the sign-in window (offscreen Qt), the composition
root's AWS sign-in, botocore's sso-oidc client and its SSO credential provider, moto's EC2 on
127.0.0.1. Stand-ins, named: IAM Identity Center (`tests/sso_emulator.py`: moto has no sso-oidc
or sso portal) and the browser (`RecordingBrowser`: the page would be AWS's, off this machine).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtGui import QTextDocumentFragment
from pytestqt.qtbot import QtBot

from desktop.app import _aws_sign_in, configured_providers
from desktop.core.config import load_config
from desktop.presentation.glance import IconState, ProblemKind, icon_state
from desktop.qt.signin_window import SignInWindow
from tests.moto_server import MotoEndpoint, run_instance
from tests.qt.conftest import Harness
from tests.qt.test_tray import open_menu
from tests.sso_emulator import (  # noqa: F401 - the fixture is used by name
    ACCOUNT_ID,
    NEW_PROFILE_TEXT,
    ROLE,
    START_URL,
    SsoEmulator,
    sso_emulator,
)


@dataclass
class RecordingBrowser:
    """Stands in for the default browser: records the pages the tray asks it to open."""

    opened: list[str] = field(default_factory=list)

    def open(self, url: str) -> None:
        self.opened.append(url)


def shown(window: SignInWindow) -> str:
    """The window's status line as a person reads it (it is rich text)."""
    return QTextDocumentFragment.fromHtml(window.status.text()).toPlainText()


def aws_file(name: str) -> Path:
    return Path(os.environ["AWS_CONFIG_FILE"]).parent / name


@dataclass
class TrayAtSignIn:
    """The tray, the sign-in window it opened, the browser stand-in, and my VM in moto."""

    harness: Harness
    window: SignInWindow
    browser: RecordingBrowser
    vm_id: str


def tray_at_sign_in(qtbot: QtBot, make_tray, monkeypatch: pytest.MonkeyPatch) -> TrayAtSignIn:
    """My VM in moto, no AWS credentials, and the tray over the configured cloud: it cannot
    look, so it opens its sign-in window."""
    vm_id = run_instance("devbox")  # tagged Owner=moto, the caller moto reports for any key
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    browser = RecordingBrowser()
    harness: Harness = make_tray(
        providers=configured_providers,
        demo_mode=False,
        sign_in=_aws_sign_in,
        open_url=browser.open,
    )
    qtbot.waitUntil(lambda: "sign-in" in harness.tray.windows, timeout=15_000)
    window = harness.tray.windows["sign-in"]
    assert isinstance(window, SignInWindow)
    return TrayAtSignIn(harness, window, browser, vm_id)


def start_sign_in(qtbot: QtBot, at: TrayAtSignIn) -> None:
    """Fill in the start URL and region, click Sign in, wait until the browser is sent."""
    at.window.start_url.setText(START_URL)
    at.window.sso_region.setText("eu-west-1")
    at.window.aws_button.click()
    qtbot.waitUntil(lambda: bool(at.browser.opened), timeout=10_000)


@pytest.fixture
def first_run(
    qtbot: QtBot,
    make_tray,
    moto: MotoEndpoint,
    sso_emulator: SsoEmulator,  # noqa: F811 - the fixture imported above
    config_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> TrayAtSignIn:
    """A tray started with no devtray config and no AWS credentials, showing its welcome."""
    assert not config_file.exists() and not aws_file("config").exists()
    return tray_at_sign_in(qtbot, make_tray, monkeypatch)


def test_first_run_signs_in_to_aws_and_shows_my_vm(
    qtbot: QtBot,
    first_run: TrayAtSignIn,
    sso_emulator: SsoEmulator,  # noqa: F811
    config_file: Path,
    isolated_home: Path,
) -> None:
    harness, window, browser, vm_id = (
        first_run.harness,
        first_run.window,
        first_run.browser,
        first_run.vm_id,
    )
    view = harness.controller.view
    assert view.problem is not None and view.problem.kind is ProblemKind.SIGN_IN
    assert icon_state(view) is IconState.SIGN_IN
    assert open_menu(harness.tray)["sign-in"].text() == "S&ign in… (needed)"
    assert window.windowTitle() == "devtray — Welcome"

    window.start_url.setText(START_URL)
    window.sso_region.setText("eu-west-1")
    window.aws_button.click()

    assert not window.aws_button.isEnabled()  # the click returned: the flow runs on a worker
    qtbot.waitUntil(lambda: bool(browser.opened), timeout=10_000)
    [device] = sso_emulator.devices.values()
    assert browser.opened == [
        f"https://device.sso.eu-west-1.amazonaws.com/?user_code={device.user_code}"
    ]
    assert shown(window) == f"Open {browser.opened[0]} and enter the code {device.user_code}."
    assert f"<b>{device.user_code}</b>" in window.status.text()
    assert not config_file.exists()  # nothing is written before the approval

    sso_emulator.approve(device.user_code)
    qtbot.waitUntil(lambda: "Signed in to" in shown(window), timeout=10_000)
    assert shown(window) == (
        f"Signed in to {START_URL} as {ROLE} in dev ({ACCOUNT_ID}); "
        f"profile devtray saved in {aws_file('config')}."
    )
    qtbot.waitUntil(
        lambda: [vm.id for vm in harness.controller.view.vms] == [vm_id], timeout=15_000
    )
    view = harness.controller.view
    assert view.problem is None and icon_state(view) is IconState.RUNNING
    menu = open_menu(harness.tray)
    assert menu["state:" + vm_id].text().startswith("State: running")

    # The AWS CLI's token cache, keyed by the sso-session name as botocore does it.
    digest = hashlib.sha1(b"devtray", usedforsecurity=False).hexdigest()
    cache = isolated_home / ".aws" / "sso" / "cache" / f"{digest}.json"
    cached = json.loads(cache.read_text())
    assert cached["startUrl"] == START_URL and cached["accessToken"] in sso_emulator.tokens
    assert cache.stat().st_mode & 0o777 == 0o600
    assert aws_file("config").read_text() == NEW_PROFILE_TEXT
    config = load_config(config_file)
    assert config.aws is not None and config.aws.profile == "devtray"
    # The device flow, the role lookup, then botocore's SSO provider turning the token into
    # role credentials for EC2 (pending polls in between, as many as the approval took).
    calls = [call for call in sso_emulator.calls if call != "CreateToken"]
    assert calls[:4] == [
        "RegisterClient",
        "StartDeviceAuthorization",
        "ListAccounts",
        "ListAccountRoles",
    ]
    assert "GetRoleCredentials" in calls[4:]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("deny", "⚠ The sign-in was denied in the browser."),
        ("let the code expire", "⚠ The sign-in code expired before it was approved."),
    ],
)
def test_a_denied_or_expired_sign_in_is_explained_and_writes_nothing(
    qtbot: QtBot,
    first_run: TrayAtSignIn,
    sso_emulator: SsoEmulator,  # noqa: F811
    config_file: Path,
    isolated_home: Path,
    answer: str,
    expected: str,
) -> None:
    window = first_run.window
    if answer == "let the code expire":
        sso_emulator.device_seconds = 1
    window.profile.setText("work")
    start_sign_in(qtbot, first_run)
    if answer == "deny":
        [device] = sso_emulator.devices.values()
        sso_emulator.deny(device.user_code)
    qtbot.waitUntil(lambda: shown(window).startswith("⚠"), timeout=10_000)

    assert shown(window).startswith(expected)
    assert "Sign in again (Sign in… in the tray" in shown(window)
    assert "Traceback" not in shown(window)
    assert window.aws_button.isEnabled()  # ready to try again
    assert not config_file.exists()
    assert not aws_file("config").exists()
    assert not (isolated_home / ".aws" / "sso").exists()
    assert "ListAccounts" not in sso_emulator.calls
    problem = first_run.harness.controller.view.problem
    assert problem is not None and problem.kind is ProblemKind.SIGN_IN  # still needs sign-in


@pytest.mark.parametrize(
    ("start_url", "region", "expected"),
    [
        ("corp.awsapps.com/start", "eu-west-1", "is not an IAM Identity Center start URL"),
        (START_URL, "", "The region is missing."),
        (START_URL, "eu west 1", "'eu west 1' is not an AWS region."),
        ("", "eu-west-1", "An Identity Center region only goes with a start URL."),
    ],
)
def test_what_was_typed_is_checked_before_anything_is_sent(
    first_run: TrayAtSignIn,
    sso_emulator: SsoEmulator,  # noqa: F811
    start_url: str,
    region: str,
    expected: str,
) -> None:
    window = first_run.window
    window.start_url.setText(start_url)
    window.sso_region.setText(region)
    window.aws_button.click()
    assert expected in shown(window) and shown(window).startswith("⚠")
    assert window.aws_button.isEnabled()
    assert sso_emulator.calls == [] and first_run.browser.opened == []


def test_closing_the_window_stops_waiting_for_the_approval(
    qtbot: QtBot,
    first_run: TrayAtSignIn,
    sso_emulator: SsoEmulator,  # noqa: F811
    config_file: Path,
) -> None:
    """Otherwise a worker would poll for up to ten minutes, and keep Quit from exiting."""
    window, bridge = first_run.window, first_run.harness.controller.bridge
    start_sign_in(qtbot, first_run)
    window.close()
    qtbot.waitUntil(lambda: bridge.pending == 0, timeout=5_000)
    polls = sso_emulator.calls.count("CreateToken")
    qtbot.wait(1500)  # longer than the poll interval: no more polls come
    assert sso_emulator.calls.count("CreateToken") == polls
    assert not config_file.exists() and not aws_file("config").exists()


def test_an_expired_sso_sign_in_opens_sign_in_for_my_profile_and_resumes(
    qtbot: QtBot,
    make_tray,
    moto: MotoEndpoint,
    sso_emulator: SsoEmulator,  # noqa: F811
    config_file: Path,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Yesterday's token has expired: botocore refuses, the tray asks to sign in again, with
    the configured profile already filled in; approving brings the VM back."""
    aws_text = (
        "[profile dev]\nsso_session = corp\n"
        f"sso_account_id = {ACCOUNT_ID}\nsso_role_name = {ROLE}\nregion = eu-west-1\n\n"
        f"[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n"
    )
    aws_file("config").parent.mkdir(parents=True)
    aws_file("config").write_text(aws_text)
    cache = isolated_home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    expired = {"startUrl": START_URL, "region": "eu-west-1", "accessToken": "yesterday"}
    digest = hashlib.sha1(b"corp", usedforsecurity=False).hexdigest()
    (cache / f"{digest}.json").write_text(
        json.dumps({**expired, "expiresAt": "2020-01-01T00:00:00Z"})
    )
    config_file.write_text("# mine\n[aws]\nprofile = 'dev'\n")
    at = tray_at_sign_in(qtbot, make_tray, monkeypatch)
    harness, window, browser, vm_id = at.harness, at.window, at.browser, at.vm_id
    problem = harness.controller.view.problem
    assert problem is not None and problem.kind is ProblemKind.SIGN_IN
    assert "devtray sign-in aws --profile dev" in (problem.hint or "")
    assert window.windowTitle() == "devtray — Sign in"  # not the welcome: I have a config
    assert window.profile.text() == "dev"

    window.aws_button.click()
    qtbot.waitUntil(lambda: bool(browser.opened), timeout=10_000)
    [device] = sso_emulator.devices.values()
    sso_emulator.approve(device.user_code)
    qtbot.waitUntil(
        lambda: [vm.id for vm in harness.controller.view.vms] == [vm_id], timeout=15_000
    )
    assert shown(window) == f"Signed in to {START_URL} (profile dev)."
    assert harness.controller.view.problem is None
    assert json.loads((cache / f"{digest}.json").read_text())["accessToken"] in sso_emulator.tokens
    assert aws_file("config").read_text() == aws_text  # an existing profile is not rewritten
    assert config_file.read_text().startswith("# mine\n")
    assert "ListAccounts" not in sso_emulator.calls


def test_with_several_roles_the_window_asks_which_one(
    qtbot: QtBot,
    first_run: TrayAtSignIn,
    sso_emulator: SsoEmulator,  # noqa: F811
    config_file: Path,
) -> None:
    sso_emulator.accounts = {
        ACCOUNT_ID: ("dev", (ROLE,)),
        "444455556666": ("prod", ("ReadOnly",)),
    }
    window, harness = first_run.window, first_run.harness
    assert not window.role_row.isVisibleTo(window)
    start_sign_in(qtbot, first_run)
    [device] = sso_emulator.devices.values()
    sso_emulator.approve(device.user_code)
    qtbot.waitUntil(lambda: window.role_row.isVisibleTo(window), timeout=10_000)
    assert shown(window).startswith("⚠ You can use 2 AWS roles")
    assert [window.roles.itemText(i) for i in range(window.roles.count())] == [
        f"{ROLE} in dev ({ACCOUNT_ID})",
        "ReadOnly in prod (444455556666)",
    ]
    assert not config_file.exists() and not aws_file("config").exists()

    window.roles.setCurrentIndex(1)
    window.use_role.click()
    qtbot.waitUntil(
        lambda: [vm.id for vm in harness.controller.view.vms] == [first_run.vm_id],
        timeout=15_000,
    )
    assert shown(window).startswith(f"Signed in to {START_URL} as ReadOnly in prod")
    assert not window.role_row.isVisibleTo(window)
    assert len(first_run.browser.opened) == 1  # one approval in the browser, not two
    assert "sso_role_name = ReadOnly\n" in aws_file("config").read_text()
    config = load_config(config_file)
    assert config.aws is not None and config.aws.profile == "devtray"
