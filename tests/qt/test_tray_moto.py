"""A user starts, stops and resizes a moto-backed EC2 VM from the tray (moto on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.app import configured_providers
from desktop.core.model import VmState
from desktop.qt.resize_dialog import ResizeDialog
from tests.moto_server import MotoEndpoint, ec2_client, run_instance
from tests.qt.conftest import Harness
from tests.qt.test_tray import open_menu


def test_start_stop_and_resize_a_moto_vm_from_the_tray(
    qtbot: QtBot, make_tray, moto: MotoEndpoint, config_file: Path
) -> None:
    config_file.write_text(
        '[aws]\nregion = "eu-west-1"\nsizes = ["t3.micro", "t3.small", "t3.medium"]\n'
        "[polling]\nfast_seconds = 0.05\n"
    )
    vm_id = run_instance("devbox", instance_type="t3.micro")
    run_instance("someone-elses", owner="bob")
    harness: Harness = make_tray(providers=configured_providers, demo_mode=False)

    def state() -> VmState | None:
        vm = harness.controller.view.vm(vm_id)
        return vm.state if vm is not None and vm_id not in harness.controller.view.busy else None

    qtbot.waitUntil(lambda: state() is VmState.RUNNING, timeout=15000)
    assert [vm.name for vm in harness.controller.view.vms] == ["devbox"]
    menu = open_menu(harness.tray)
    assert menu["title"].text() == "devtray"
    assert menu["state:" + vm_id].text().startswith("State: running · t3.micro")

    menu["stop:" + vm_id].trigger()
    qtbot.waitUntil(lambda: state() is VmState.STOPPED, timeout=15000)

    open_menu(harness.tray)["resize:" + vm_id].trigger()
    dialog = harness.tray.windows["resize:" + vm_id]
    assert isinstance(dialog, ResizeDialog)
    qtbot.waitUntil(lambda: dialog.sizes.topLevelItemCount() == 3, timeout=15000)
    dialog.choose("t3.medium")
    qtbot.waitUntil(dialog.resize_button.isEnabled, timeout=15000)
    assert dialog.effect.text().startswith("Changes the stopped VM to t3.medium")
    dialog.resize_button.click()
    qtbot.waitUntil(
        lambda: state() is VmState.STOPPED and harness.controller.view.vms[0].size == "t3.medium",
        timeout=15000,
    )

    open_menu(harness.tray)["start:" + vm_id].trigger()
    qtbot.waitUntil(lambda: state() is VmState.RUNNING, timeout=15000)
    described = ec2_client().describe_instances(InstanceIds=[vm_id])
    instance = described["Reservations"][0]["Instances"][0]
    assert (instance["InstanceType"], instance["State"]["Name"]) == ("t3.medium", "running")
