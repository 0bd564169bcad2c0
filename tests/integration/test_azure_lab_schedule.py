"""Snoozing an Azure DevTest Labs VM also moves the lab's shutdown schedule, and puts it back.

Through the real `devtray autostop` CLI and the real provider against the HTTPS ARM emulator.
Each command builds a new provider, as separate `devtray` runs would: what was changed is only
known from devtray's record on disk.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from desktop.core.spend_record import data_dir
from desktop.providers.azure.schedule_hold import HOLDS_FILE
from tests.arm_emulator import (
    LAB,
    RESOURCE_GROUP,
    SUBSCRIPTION,
    ArmEmulator,
    FakeStaticTokenCredential,
    shutdown_schedule,
    vm_schedule_resource,
)
from tests.integration.azure_cli_helpers import Result, run_devtray

VM_ID = f"{LAB}/alice-vm"
LAB_TARGET = (
    f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{RESOURCE_GROUP}/providers/"
    f"microsoft.devtestlab/labs/{LAB}"
)
VM_TARGET = f"{LAB_TARGET}/virtualmachines/alice-vm"


@pytest.fixture(autouse=True)
def utc_laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The laptop's zone, for the times devtray prints."""
    monkeypatch.setenv("TZ", "UTC")


def hhmm(at: datetime) -> str:
    return f"{at.astimezone(UTC):%H%M}"


def minutes_later(minutes: int) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def lab_stops_soon(arm: ArmEmulator, minutes: int = 30) -> str:
    """The lab-wide schedule stops VMs `minutes` from now (UTC); its HHMM."""
    at = hhmm(minutes_later(minutes))
    arm.lab().schedule = shutdown_schedule(LAB_TARGET, at, zone="UTC")
    return at


def says_stops_at(out: str, at: str) -> bool:
    """`Lab schedule: stops at HH:MM` — with the day's name when that is after midnight
    ("stops at Sat 00:25"), as a test run late in the evening sees it."""
    return re.search(rf"Lab schedule: stops at (\w+ )?{at[:2]}:{at[2:]}\b", out) is not None


def devtray(arm: ArmEmulator, credential: FakeStaticTokenCredential, *argv: str) -> Result:
    result = run_devtray(["autostop", *argv], arm, credential)
    assert result.code == 0, result.err
    return result


def vm_schedule(arm: ArmEmulator) -> dict[str, Any]:
    return dict(arm.lab().vm_schedules["alice-vm"]["properties"])


def holds_file() -> Path:
    return data_dir() / HOLDS_FILE


def test_snooze_moves_a_copy_of_the_lab_schedule_and_resume_removes_it(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    usual = lab_stops_soon(arm)
    before = datetime.now(UTC)

    snoozed = devtray(arm, azure_signed_in, "snooze", "2h", VM_ID)

    # The snooze's end, rounded up to the minute (the command took a moment).
    allowed = {hhmm(before + timedelta(minutes=120 + extra)) for extra in range(3)}
    assert "Snoozed: the VM keeps running until at least" in snoozed.out
    moved = vm_schedule(arm)
    at = moved["dailyRecurrence"]["time"]
    assert at in allowed
    assert f"Lab schedule moved to {at[:2]}:{at[2:]}" in snoozed.out
    assert f"(usually {usual[:2]}:{usual[2:]})" in snoozed.out
    assert moved["status"] == "Enabled"
    assert moved["targetResourceId"] == VM_TARGET  # the VM's own copy
    assert moved["notificationSettings"]["timeInMinutes"] == 30  # the rest is the lab's
    # The shared lab-wide schedule is left alone; only PUT changes a schedule (PATCH: tags only).
    assert arm.lab().schedule["properties"]["dailyRecurrence"]["time"] == usual
    assert arm.calls("PUT", "/schedules/") and not arm.calls("PATCH")

    status = devtray(arm, azure_signed_in, "status", VM_ID)
    assert says_stops_at(status.out, at), status.out
    assert "Lab schedule moved to" in status.out

    resumed = devtray(arm, azure_signed_in, "resume", VM_ID)

    assert f"Auto-stop is back on. Lab schedule back to {usual[:2]}:{usual[2:]}." in resumed.out
    assert "alice-vm" not in arm.lab().vm_schedules  # devtray's copy deleted: the lab's applies
    assert len(arm.calls("DELETE", "alice-vm/schedules/labvmsshutdown")) == 1
    assert json.loads(holds_file().read_text()) == {}


def test_keep_running_switches_the_vm_schedule_off_and_expiry_puts_it_back(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    usual = hhmm(minutes_later(30))
    own = shutdown_schedule(VM_TARGET, usual, zone="UTC")
    arm.lab().vm_schedules["alice-vm"] = vm_schedule_resource(VM_TARGET, own)

    kept = devtray(arm, azure_signed_in, "keep-running", VM_ID)

    assert "The VM keeps running tonight" in kept.out
    assert "Lab schedule off until 07:00" in kept.out
    assert vm_schedule(arm)["status"] == "Disabled"
    assert vm_schedule(arm)["dailyRecurrence"]["time"] == usual
    record = json.loads(holds_file().read_text())[VM_ID]
    assert record["original"]["properties"]["status"] == "Enabled"  # kept before the change

    # The morning comes while devtray is not running: the hold has run out.
    store = data_dir() / "autostop.json"
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    store.write_text(json.dumps({VM_ID: {"snooze_until": None, "keep_running_until": past}}))

    status = devtray(arm, azure_signed_in, "status", VM_ID)

    assert f"Lab schedule back to {usual[:2]}:{usual[2:]}." in status.out
    assert vm_schedule(arm)["status"] == "Enabled"
    assert vm_schedule(arm)["dailyRecurrence"]["time"] == usual
    assert says_stops_at(status.out, usual), status.out
    assert json.loads(holds_file().read_text()) == {}
    again = devtray(arm, azure_signed_in, "status", VM_ID)
    assert "back to" not in again.out  # restored once


def test_a_refused_change_is_explained_and_devtrays_snooze_still_holds(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    lab_stops_soon(arm)
    arm.fail(
        "PUT",
        "alice-vm/schedules/labvmsshutdown",
        403,
        "AuthorizationFailed",
        "The client 'alice@contoso.com' does not have authorization to perform action "
        "'Microsoft.DevTestLab/labs/virtualMachines/schedules/write'.",
    )

    snoozed = devtray(arm, azure_signed_in, "snooze", "1h", VM_ID)

    assert "Snoozed: the VM keeps running until at least" in snoozed.out
    assert "The lab's own shutdown schedule was not changed: Azure refused to change" in snoozed.out
    assert "DevTest Labs User role" in snoozed.out  # what to do about it
    assert "the lab may still stop it at its time" in snoozed.out
    assert "alice-vm" not in arm.lab().vm_schedules
    assert json.loads(holds_file().read_text()) == {}  # nothing to put back
    choices = json.loads((data_dir() / "autostop.json").read_text())[VM_ID]
    assert choices["snooze_until"] is not None  # devtray's own snooze holds regardless


def test_a_snooze_that_ends_before_the_labs_stop_changes_nothing(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    lab_stops_soon(arm, minutes=180)

    snoozed = devtray(arm, azure_signed_in, "snooze", "30m", VM_ID)

    assert "Lab schedule" not in snoozed.out
    assert not arm.calls("PUT") and "alice-vm" not in arm.lab().vm_schedules


def test_a_schedule_changed_in_the_portal_meanwhile_is_not_overwritten(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    lab_stops_soon(arm)
    devtray(arm, azure_signed_in, "snooze", "2h", VM_ID)
    vm_schedule_now = arm.lab().vm_schedules["alice-vm"]
    vm_schedule_now["properties"]["dailyRecurrence"]["time"] = "2330"  # the owner's own change

    resumed = devtray(arm, azure_signed_in, "resume", VM_ID)

    assert "changed outside devtray meanwhile; left as it is." in resumed.out
    assert vm_schedule(arm)["dailyRecurrence"]["time"] == "2330"
    assert not arm.calls("DELETE")
