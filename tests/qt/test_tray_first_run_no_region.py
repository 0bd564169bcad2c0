"""First run with no devtray config and no AWS region anywhere (issue 12, item 16).

The tray used to show an error balloon ("No AWS region is set") and nothing else. It must open
its Welcome window, from which a sign-in with a start URL and a region finds my VM.
Real pieces as in test_tray_aws_sign_in.py; stand-ins, named there: IAM Identity Center and the
browser.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop.presentation.glance import ProblemKind
from tests.qt.test_tray_aws_sign_in import (  # noqa: F401 - fixtures used by name
    TrayAtSignIn,
    first_run,
    shown,
    start_sign_in,
)
from tests.sso_emulator import SsoEmulator, sso_emulator  # noqa: F401


@pytest.fixture
def no_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS_DEFAULT_REGION (nor AWS_REGION, nor ~/.aws/config): set before the tray starts."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")


def test_no_config_and_no_region_opens_the_welcome_window_and_sign_in_finds_my_vm(
    no_region: None,
    first_run: TrayAtSignIn,  # noqa: F811 - the fixture imported above
    qtbot: QtBot,
    sso_emulator: SsoEmulator,  # noqa: F811
) -> None:
    problem = first_run.harness.controller.view.problem
    assert problem is not None and problem.kind is ProblemKind.SIGN_IN
    assert "devtray --demo" in (problem.hint or "")
    window = first_run.window
    assert window.windowTitle() == "devtray — Welcome"

    start_sign_in(qtbot, first_run)
    [device] = sso_emulator.devices.values()
    sso_emulator.approve(device.user_code)
    qtbot.waitUntil(lambda: "Signed in to" in shown(window), timeout=10_000)
    controller = first_run.harness.controller
    qtbot.waitUntil(
        lambda: [vm.id for vm in controller.view.vms] == [first_run.vm_id], timeout=15_000
    )
