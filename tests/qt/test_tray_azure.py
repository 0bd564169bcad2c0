"""The tray with Azure DevTest Labs, offscreen, against the HTTPS ARM emulator on 127.0.0.1.

Claiming from a lab's pool, Azure settings written into the user's config, and the sign-in
window's Microsoft sign-in through the emulated Entra device-code flow (the boundaries we cannot
run here are the same fakes as in tests/integration/test_azure_sign_in.py, and named there).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.app import _azure_sign_in, configured_providers
from desktop.core.config import load_config
from desktop.core.files import backup_path
from desktop.presentation.glance import Operation, ProblemKind
from desktop.qt.settings_dialog import SettingsDialog
from desktop.qt.signin_window import SignInWindow
from tests.arm_emulator import LAB, ArmEmulator, FakeStaticTokenCredential, write_azure_config
from tests.integration.azure_cli_helpers import make_provider
from tests.integration.test_azure_sign_in import plaintext_token_cache, tools  # noqa: F401
from tests.qt.conftest import Harness
from tests.qt.test_tray import open_menu

POOL_VM = f"{LAB}/pool-vm-1"


def test_with_no_vm_of_mine_the_tray_claims_one_from_the_lab(
    qtbot: QtBot, make_tray, azure_signed_in: FakeStaticTokenCredential, arm: ArmEmulator
) -> None:
    del arm.lab().vms["alice-vm"]  # I have no VM in the lab yet
    provider = make_provider(arm, azure_signed_in)
    harness: Harness = make_tray(providers=lambda: [provider], demo_mode=False)
    qtbot.waitUntil(lambda: bool(harness.controller.view.claimable), timeout=10_000)
    assert [vm.id for vm in harness.controller.view.claimable] == [POOL_VM]
    menu = open_menu(harness.tray)
    assert menu["claim"].text() == "Claim a VM…"

    menu[f"claim:{POOL_VM}"].trigger()

    assert harness.controller.view.busy == {POOL_VM: Operation.CLAIMING}
    assert open_menu(harness.tray)[f"claiming:{POOL_VM}"].text() == f"Claiming {POOL_VM}…"
    assert f"Claiming {POOL_VM}…" in harness.tray.icon.toolTip()
    qtbot.waitUntil(
        lambda: (
            harness.controller.view.vm(POOL_VM) is not None and not harness.controller.view.busy
        ),
        timeout=10_000,
    )
    assert any("/claim" in call for call in arm.calls("POST"))
    assert harness.controller.view.claimable == ()
    menu = open_menu(harness.tray)
    assert "claim" not in menu and f"start:{POOL_VM}" in menu  # now it is my VM


def test_a_refused_claim_is_shown_and_the_pool_is_offered_again(
    qtbot: QtBot, make_tray, azure_signed_in: FakeStaticTokenCredential, arm: ArmEmulator
) -> None:
    del arm.lab().vms["alice-vm"]
    arm.fail("POST", "pool-vm-1/claim", 409, "Conflict", "The VM was claimed by someone else")
    provider = make_provider(arm, azure_signed_in)
    harness: Harness = make_tray(providers=lambda: [provider], demo_mode=False)
    qtbot.waitUntil(lambda: bool(harness.controller.view.claimable), timeout=10_000)

    with qtbot.waitSignal(harness.controller.problem_raised, timeout=10_000) as raised:
        open_menu(harness.tray)[f"claim:{POOL_VM}"].trigger()

    assert "claimed by someone else" in raised.args[0].message
    qtbot.waitUntil(lambda: bool(harness.controller.view.claimable), timeout=10_000)
    assert harness.controller.view.busy == {} and harness.controller.view.vms == ()
    assert open_menu(harness.tray)[f"claim:{POOL_VM}"].isEnabled()


def test_settings_write_the_azure_lab_keeping_the_users_other_keys(
    qtbot: QtBot, make_tray, config_file: Path
) -> None:
    original = '# my notes\n[ssh]\nuser = "dev"  # the VM user\n'
    config_file.write_text(original, encoding="utf-8")
    harness: Harness = make_tray()
    open_menu(harness.tray)["settings"].trigger()
    dialog = harness.tray.windows["settings"]
    assert isinstance(dialog, SettingsDialog)
    dialog.cloud.setCurrentText("Azure")
    assert dialog.subscription.isVisibleTo(dialog) and not dialog.profile.isVisibleTo(dialog)
    dialog.subscription.setText("not-a-guid")
    dialog.resource_group.setText("dev-rg")
    dialog.lab.setText("devlab-westeurope")
    dialog.azure_cloud.setCurrentText("AzureUSGovernment")
    dialog.accept()
    assert "subscription" in dialog.error.text()  # named, and nothing written
    assert "azure" not in config_file.read_text(encoding="utf-8")

    dialog.subscription.setText("00000000-0000-0000-0000-000000000000")
    dialog.accept()

    text = config_file.read_text(encoding="utf-8")
    assert text.startswith("# my notes\n") and 'user = "dev"  # the VM user' in text
    config = load_config(config_file)
    assert config.aws is None and config.azure is not None
    assert config.azure.cloud == "AzureUSGovernment"
    lab = config.azure.labs[0]
    assert (lab.subscription, lab.resource_group, lab.name) == (
        "00000000-0000-0000-0000-000000000000",
        "dev-rg",
        "devlab-westeurope",
    )
    assert backup_path(config_file).read_text(encoding="utf-8") == original


def test_expired_azure_sign_in_opens_the_window_whose_azure_button_signs_in(
    qtbot: QtBot,
    make_tray,
    arm: ArmEmulator,
    config_file: Path,
    tools: Path,  # noqa: F811 - the fixture imported above
    plaintext_token_cache: None,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_azure_config(config_file, arm)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(arm.ca_path))
    for variable in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(variable, raising=False)  # no browser: a device code is shown
    codes: list[tuple[str, str]] = []
    threads: list[threading.Thread] = []

    def sign_in(tenant: str | None, show_code: Callable[[str, str], None]) -> str:
        threads.append(threading.current_thread())

        def seen(url: str, code: str) -> None:
            codes.append((url, code))
            show_code(url, code)

        return _azure_sign_in(tenant, seen)

    harness: Harness = make_tray(
        providers=configured_providers, demo_mode=False, azure_sign_in=sign_in
    )
    qtbot.waitUntil(lambda: "sign-in" in harness.tray.windows, timeout=10_000)
    problem = harness.controller.view.problem
    assert problem is not None and problem.kind is ProblemKind.SIGN_IN
    window = harness.tray.windows["sign-in"]
    assert isinstance(window, SignInWindow)
    assert window.azure_button.isEnabled()

    window.azure_button.click()

    assert not window.azure_button.isEnabled()  # the click returned: the sign-in is on a worker
    qtbot.waitUntil(lambda: "Signed in to Azure" in window.status.text(), timeout=15_000)
    assert window.status.text() == (
        "Signed in to Azure as alice@contoso.com (tenant 33333333-3333-3333-3333-333333333333)."
    )
    assert [code for _url, code in codes] == ["DTRY-2026"]
    assert threads and threads[0] is not threading.main_thread()
    assert arm.grants[0] == "urn:ietf:params:oauth:grant-type:device_code"
    qtbot.waitUntil(
        lambda: [vm.name for vm in harness.controller.view.vms] == ["alice-vm"], timeout=15_000
    )
    assert harness.controller.view.problem is None
