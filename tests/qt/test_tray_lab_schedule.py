"""The tray's Snooze on an Azure lab VM also moves the lab's shutdown schedule (offscreen Qt).

The real provider against the HTTPS ARM emulator; the clock is fake and the policy is ticked by
hand; the VM's activity probe is a boundary fake (nobody typing).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.core.autostop_store import AutostopChoices, AutostopStore
from desktop.core.config import AutostopConfig
from desktop.core.model import VmState
from desktop.core.server_stop import ServerHold
from desktop.core.spend_record import SpendRecord
from desktop.core.spend_tracker import SpendTracker
from desktop.qt.cost_autostop import CostAndAutostop
from tests.arm_emulator import LAB, ArmEmulator, FakeStaticTokenCredential
from tests.integration.azure_cli_helpers import make_provider
from tests.qt.conftest import Harness
from tests.qt.test_cost_autostop import TZ, FakeClock, tick_until
from tests.qt.test_tray import open_menu

VM = f"{LAB}/alice-vm"


def warned_tray(
    qtbot: QtBot,
    make_tray,
    arm: ArmEmulator,
    credential: FakeStaticTokenCredential,
    tmp_path: Path,
    clock: FakeClock,
) -> tuple[Harness, CostAndAutostop]:
    """A tray on the emulator's lab whose end-of-day warning for my VM is showing."""
    watch = CostAndAutostop(
        SpendTracker(SpendRecord(tmp_path / "spend.jsonl"), clock, TZ),
        AutostopConfig(),
        activity=lambda _vm: False,
        clock=clock,
        tz=TZ,
        store=AutostopStore(tmp_path / "autostop.json"),
        tick_ms=3_600_000,  # the test ticks by hand
    )
    provider = make_provider(arm, credential)
    harness: Harness = make_tray(
        providers=lambda: [provider],
        demo_mode=False,
        contributions=(watch,),
        extensions=(watch,),
    )
    qtbot.waitUntil(
        lambda: (vm := harness.controller.view.vm(VM)) is not None and vm.state is VmState.RUNNING,
        timeout=10_000,
    )
    tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 18, 45, tzinfo=TZ))
    return harness, watch


def snooze_1h(qtbot: QtBot, harness: Harness, watch: CostAndAutostop) -> str:
    """Press "Snooze 1 h"; what the tray then says about the lab's schedule."""
    with qtbot.waitSignal(
        watch.notified, timeout=10_000, check_params_cb=lambda title, _m: title == "Lab schedule"
    ) as told:
        open_menu(harness.tray)[f"autostop-snooze-60:{VM}"].trigger()
    return str(told.args[1])


def test_snooze_in_the_tray_moves_the_lab_schedule_until_the_snooze_ends(
    qtbot: QtBot,
    make_tray,
    azure_signed_in: FakeStaticTokenCredential,
    arm: ArmEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")  # the laptop's zone, as the lab's (19:00)
    clock = FakeClock(datetime(2026, 11, 2, 18, 44, tzinfo=TZ))  # a Monday
    harness, watch = warned_tray(qtbot, make_tray, arm, azure_signed_in, tmp_path, clock)

    told = snooze_1h(qtbot, harness, watch)

    assert told == "Lab schedule moved to 19:45 tonight (usually 19:00)."
    own = arm.lab().vm_schedules["alice-vm"]["properties"]
    assert (own["status"], own["dailyRecurrence"]["time"]) == ("Enabled", "1945")
    assert own["timeZoneId"] == "W. Europe Standard Time"
    assert arm.lab().schedule is not None
    assert arm.lab().schedule["properties"]["dailyRecurrence"]["time"] == "1900"  # shared: as is
    row = f"lab-schedule:{VM}"
    assert open_menu(harness.tray)[row].text() == told

    # The snooze ends: the next tick gives the lab its own schedule back.
    clock.now = datetime(2026, 11, 2, 19, 46, tzinfo=TZ)
    with qtbot.waitSignal(watch.decided, timeout=5000):
        watch.tick()
    qtbot.waitUntil(lambda: "alice-vm" not in arm.lab().vm_schedules, timeout=10_000)
    qtbot.waitUntil(lambda: row not in open_menu(harness.tray), timeout=5000)


def test_a_refused_lab_schedule_change_is_shown_and_the_snooze_holds(
    qtbot: QtBot,
    make_tray,
    azure_signed_in: FakeStaticTokenCredential,
    arm: ArmEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    arm.fail("PUT", "alice-vm/schedules", 400, "PolicyViolation", "The lab's users cannot opt out")
    clock = FakeClock(datetime(2026, 11, 2, 18, 44, tzinfo=TZ))
    harness, watch = warned_tray(qtbot, make_tray, arm, azure_signed_in, tmp_path, clock)

    told = snooze_1h(qtbot, harness, watch)

    assert told.startswith("The lab's own shutdown schedule was not changed: Not allowed by policy")
    assert "Ask the lab's owner to allow it" in told
    assert open_menu(harness.tray)[f"lab-schedule:{VM}"].text() == told
    assert "alice-vm" not in arm.lab().vm_schedules
    assert open_menu(harness.tray)[f"autostop:{VM}"].text().startswith("Auto-stop: stops at 19:45")


def test_a_lab_schedule_moved_from_the_terminal_shows_in_the_tray(
    qtbot: QtBot,
    make_tray,
    azure_signed_in: FakeStaticTokenCredential,
    arm: ArmEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    provider = make_provider(arm, azure_signed_in)
    evening = datetime(2026, 11, 2, 18, 45, tzinfo=TZ)
    until = evening + timedelta(hours=2)
    # What `devtray autostop snooze 2h` records: the choice, and the lab schedule it moved.
    AutostopStore(tmp_path / "autostop.json").save(VM, AutostopChoices(snooze_until=until))
    said = provider.hold_server_stop(VM, ServerHold(until), evening)
    assert said == "Lab schedule moved to 20:45 tonight (usually 19:00)."

    clock = FakeClock(evening)
    harness, _watch = warned_tray(qtbot, make_tray, arm, azure_signed_in, tmp_path, clock)

    assert open_menu(harness.tray)[f"lab-schedule:{VM}"].text() == said
    assert arm.lab().vm_schedules["alice-vm"]["properties"]["dailyRecurrence"]["time"] == "2045"
