"""The tray's VM section says when the cloud's own schedule stops the VM."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desktop.core.model import AutoStop, VmSnapshot, VmState
from desktop.presentation.glance import TrayView
from desktop.presentation.menu import build_menu

NOW = datetime(2026, 11, 23, 16, 50, tzinfo=UTC)


def lab_vm(auto_stop: AutoStop | None) -> VmSnapshot:
    return VmSnapshot(
        "azure",
        "lab/alice-vm",
        "alice-vm",
        "westeurope",
        VmState.RUNNING,
        "Standard_A2_v2",
        auto_stop=auto_stop,
    )


def state_row(vm: VmSnapshot) -> str:
    menu = build_menu(TrayView(vms=(vm,), loaded=True), now=NOW)
    return next(str(item.text) for item in menu if item.key == f"state:{vm.id}")


def test_the_state_row_counts_down_to_the_labs_shutdown() -> None:
    stop = AutoStop(at=NOW + timedelta(hours=2, minutes=10), time_zone="W. Europe Standard Time")

    row = state_row(lab_vm(stop))

    assert row.startswith("State: running · Standard_A2_v2 · stops at ")
    assert row.endswith("(in 2 h 10 min)")


def test_without_a_schedule_the_row_is_unchanged() -> None:
    assert state_row(lab_vm(None)) == "State: running · Standard_A2_v2"
