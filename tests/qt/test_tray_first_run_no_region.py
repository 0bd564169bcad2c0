"""First run with no devtray config and no AWS region anywhere (issue 12, item 16).

The tray used to show an error balloon ("No AWS region is set") and nothing else. It must open
its Welcome window, from which a sign-in with a start URL and a region finds my VM.
Real pieces as in test_tray_aws_sign_in.py; stand-ins, named there: IAM Identity Center and the
browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.core.glance import ProblemKind
from tests.moto_server import MotoEndpoint
from tests.qt.test_tray_aws_sign_in import shown, tray_at_sign_in
from tests.sso_emulator import START_URL, SsoEmulator, sso_emulator  # noqa: F401


def test_no_config_and_no_region_opens_the_welcome_window_and_sign_in_finds_my_vm(
    qtbot: QtBot,
    make_tray,
    moto: MotoEndpoint,
    sso_emulator: SsoEmulator,  # noqa: F811 - the fixture imported above
    config_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not config_file.exists()
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # and no AWS_REGION, no ~/.aws/config
    at = tray_at_sign_in(qtbot, make_tray, monkeypatch)
    problem = at.harness.controller.view.problem
    assert problem is not None and problem.kind is ProblemKind.SIGN_IN
    assert "devtray --demo" in (problem.hint or "")
    assert at.window.windowTitle() == "devtray — Welcome"

    at.window.start_url.setText(START_URL)
    at.window.sso_region.setText("eu-west-1")
    at.window.aws_button.click()
    qtbot.waitUntil(lambda: bool(at.browser.opened), timeout=10_000)
    [device] = sso_emulator.devices.values()
    sso_emulator.approve(device.user_code)
    qtbot.waitUntil(lambda: "Signed in to" in shown(at.window), timeout=10_000)
    qtbot.waitUntil(
        lambda: [vm.id for vm in at.harness.controller.view.vms] == [at.vm_id], timeout=15_000
    )
