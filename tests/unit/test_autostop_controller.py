"""The controller: choices shared through the store, flush before stop, blocked stops."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from desktop.core.autostop import Action, Policy
from desktop.core.autostop_controller import AutostopController
from desktop.core.autostop_store import AutostopChoices, AutostopStore
from desktop.core.config import AutostopConfig
from desktop.core.errors import Offline

TZ = ZoneInfo("Europe/Berlin")


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


class FakeVm:
    """The VM and sync engine at the boundary: records stops, reports unsynced changes."""

    def __init__(self) -> None:
        self.stops: list[str] = []
        self.unsynced: str | None = None
        self.recorded: list[datetime | None] = []

    def stop(self) -> None:
        self.stops.append("stop")

    def flush(self) -> str | None:
        return self.unsynced


def controller(tmp_path: Path, vm: FakeVm) -> AutostopController:
    return AutostopController(
        Policy(AutostopConfig(), TZ),
        AutostopStore(tmp_path / "autostop.json"),
        "i-1",
        stop_vm=vm.stop,
        flush=vm.flush,
        record_on_vm=vm.recorded.append,
    )


def run_until(ctl: AutostopController, start: datetime, end: datetime) -> list[Action]:
    actions = []
    now = start
    while now <= end:
        decision = ctl.tick(now, running=True, active=now <= at(18))
        if decision.action is not Action.NONE:
            actions.append(decision.action)
        now += timedelta(minutes=1)
    return actions


def test_stop_happens_after_a_successful_flush(tmp_path: Path) -> None:
    vm = FakeVm()
    ctl = controller(tmp_path, vm)
    assert run_until(ctl, at(9), at(19)) == [Action.WARN, Action.STOP]
    assert vm.stops == ["stop"]


def test_unsynced_changes_block_the_stop_and_say_why(tmp_path: Path) -> None:
    vm = FakeVm()
    vm.unsynced = "2 changed files could not reach the VM (sync is offline)"
    ctl = controller(tmp_path, vm)
    messages = []
    now = at(9)
    while now <= at(19, 10):
        decision = ctl.tick(now, running=True, active=now <= at(18))
        messages.append(decision.message)
        now += timedelta(minutes=1)
    assert vm.stops == []
    assert "Not stopping the VM: 2 changed files could not reach the VM (sync is offline)" in (
        messages
    )
    assert ctl.state.blocked is not None
    vm.unsynced = None
    while now <= at(19, 20):
        ctl.tick(now, running=True, active=False)
        now += timedelta(minutes=1)
    assert vm.stops == ["stop"]


def test_a_flush_that_fails_outright_also_blocks(tmp_path: Path) -> None:
    vm = FakeVm()

    def broken_flush() -> str | None:
        raise Offline("the VM does not answer")

    ctl = AutostopController(
        Policy(AutostopConfig(), TZ),
        AutostopStore(tmp_path / "autostop.json"),
        "i-1",
        stop_vm=vm.stop,
        flush=broken_flush,
    )
    decision = ctl.stop_now(at(12))
    assert decision.message == "Not stopping the VM: the VM does not answer"
    assert vm.stops == []


def test_a_snooze_from_the_cli_reaches_the_tray(tmp_path: Path) -> None:
    vm = FakeVm()
    tray = controller(tmp_path, vm)
    run_until(tray, at(9), at(18, 46))
    assert tray.state.pending is not None
    # `devtray autostop snooze 1h` writes the shared store...
    AutostopStore(tmp_path / "autostop.json").save("i-1", AutostopChoices(snooze_until=at(19, 46)))
    # ...and the tray's next ticks honour it: the 19:00 stop moves to 19:46.
    actions = run_until(tray, at(18, 47), at(19, 50))
    assert actions == [Action.WARN, Action.STOP]
    assert vm.stops == ["stop"]
    assert tray.state.pending is not None
    assert tray.state.pending.stop_at == at(19, 46)


def test_choices_are_saved_and_recorded_on_the_vm(tmp_path: Path) -> None:
    vm = FakeVm()
    ctl = controller(tmp_path, vm)
    assert ctl.snooze(at(18, 45), timedelta(hours=1)) == (
        "Snoozed: the VM keeps running until at least 19:45."
    )
    assert AutostopStore(tmp_path / "autostop.json").load("i-1").snooze_until == at(19, 45)
    assert vm.recorded == [at(19, 45)]
    assert ctl.keep_running_tonight(at(19)) == "The VM keeps running tonight (until 07:00)."
    assert vm.recorded[-1] == at(7, day=3)
    assert str(ctl.countdown(at(20))) == "keeps running tonight"
    assert ctl.resume(at(20)) == "Auto-stop is back on."
    assert vm.recorded[-1] is None
    assert AutostopStore(tmp_path / "autostop.json").load("i-1") == AutostopChoices()


def test_stop_now_stops_at_once(tmp_path: Path) -> None:
    vm = FakeVm()
    ctl = controller(tmp_path, vm)
    decision = ctl.stop_now(at(11))
    assert decision.action is Action.STOP
    assert vm.stops == ["stop"]


def test_an_unreadable_store_means_no_choices(tmp_path: Path) -> None:
    path = tmp_path / "autostop.json"
    path.write_text("[not a mapping")
    assert AutostopStore(path).load("i-1") == AutostopChoices()
    path.write_text('{"i-1": {"snooze_until": "2026-11-02T19:00:00"}}')  # naive: ignored
    assert AutostopStore(path).load("i-1") == AutostopChoices()
