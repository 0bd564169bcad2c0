""" "Set up your day" opens by itself the first time the tray sees my VMs and no project — once.

The tray is built the way production builds it (the composition root's add-ons), against moto
(the cloud) on loopback; the offer is remembered in devtray's own state (the data dir), never
in config.toml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.qt.day_setup import DaySetupDialog
from desktop.qt.signin_window import SignInWindow
from desktop.qt.tray import TrayApp
from tests.integration.connect_helpers import moto_vm, write_config
from tests.moto_server import MotoEndpoint, run_instance
from tests.qt.conftest import FAST_POLLING
from tests.qt.test_tray_day import build_tray, labels
from tests.sshd import SshServer
from tests.sso_emulator import (  # noqa: F401 - the fixture is used by name
    START_URL,
    SsoEmulator,
    sso_emulator,
)
from tests.tray_builder import day_project, production_tray


@pytest.fixture(autouse=True)
def _no_session_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The day speaks through tray messages here (no notification server to wait for).
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")


def set_up_window(tray: TrayApp) -> DaySetupDialog | None:
    """The Set up your day window, when it is on screen."""
    window = tray.windows.get("set-up-day")
    if isinstance(window, DaySetupDialog) and window.isVisible():
        return window
    return None


def settled(qtbot: QtBot, tray: TrayApp) -> None:
    """Wait until the tray knows all the offer depends on: my VMs, my projects, whether it
    was offered before (the offer is decided the moment the last of them arrives)."""
    qtbot.waitUntil(
        lambda: tray.day_setup_offer is not None and tray.day_setup_offer.settled, timeout=20000
    )


def test_set_up_your_day_opens_by_itself_the_first_time_and_never_again(
    qtbot: QtBot, moto: MotoEndpoint, sshd: SshServer, config_file: Path
) -> None:
    write_config(config_file, sshd)
    moto_vm("devbox")
    config_before = config_file.read_bytes()

    tray = build_tray(qtbot, projects=False)
    try:
        qtbot.waitUntil(lambda: set_up_window(tray) is not None, timeout=20000)
        window = set_up_window(tray)
        assert window is not None
        assert [window.vm.itemText(i) for i in range(window.vm.count())] == ["devbox"]
        window.reject()  # closed without saving
        assert set_up_window(tray) is None
        # The menu's row still offers it.
        assert labels(tray)["day:setup"] == "Set up your day…"
    finally:
        tray.shutdown()
    assert config_file.read_bytes() == config_before  # remembered elsewhere, not in the config

    again = build_tray(qtbot, projects=False)
    try:
        settled(qtbot, again)
        assert again.controller.view.vms and not again.day.panel.projects  # type: ignore[union-attr]
        assert set_up_window(again) is None
    finally:
        again.shutdown()


def test_set_up_your_day_does_not_open_by_itself_with_a_project(
    qtbot: QtBot, moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    day_project(tmp_path, config_file, sshd)
    tray = build_tray(qtbot)
    try:
        settled(qtbot, tray)
        assert tray.controller.view.vms
        assert set_up_window(tray) is None
    finally:
        tray.shutdown()


def test_set_up_your_day_opens_right_after_signing_in_in_the_trays_window(
    qtbot: QtBot,
    moto: MotoEndpoint,
    sso_emulator: SsoEmulator,  # noqa: F811 - the fixture imported above
    config_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A first run: no devtray config, no AWS credentials, my VM in the cloud. The stand-in for
    # IAM Identity Center is tests/sso_emulator.py (moto has no sso-oidc); the rest is real.
    run_instance("devbox")  # tagged Owner=moto, the caller moto reports for any key
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    tray = production_tray(FAST_POLLING)
    try:
        qtbot.waitUntil(lambda: "sign-in" in tray.windows, timeout=20000)
        assert set_up_window(tray) is None  # not signed in: no VMs seen yet
        window = tray.windows["sign-in"]
        assert isinstance(window, SignInWindow)
        window.start_url.setText(START_URL)
        window.sso_region.setText("eu-west-1")
        window.aws_button.click()
        qtbot.waitUntil(lambda: bool(sso_emulator.devices), timeout=10000)
        [device] = sso_emulator.devices.values()
        sso_emulator.approve(device.user_code)

        qtbot.waitUntil(lambda: set_up_window(tray) is not None, timeout=20000)
        assert [vm.name for vm in tray.controller.view.vms] == ["devbox"]
    finally:
        tray.shutdown()
