"""The controller moves the cloud's own stop schedule with the person's choices (fake clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from desktop.core.autostop import Policy
from desktop.core.autostop_controller import AutostopController
from desktop.core.autostop_store import AutostopStore
from desktop.core.config import AutostopConfig
from desktop.core.errors import PermissionDenied
from desktop.core.server_stop import ServerHold, hold_for

TZ = ZoneInfo("Europe/Berlin")
EVENING = datetime(2026, 11, 2, 18, 45, tzinfo=TZ)


class FakeLabSchedule:
    """Boundary fake for the cloud's schedule: records the holds asked for, may refuse them."""

    def __init__(self) -> None:
        self.holds: list[ServerHold | None] = []
        self.refuse = False

    def hold(self, hold: ServerHold | None, _now: datetime) -> str | None:
        if self.refuse:
            raise PermissionDenied("Azure refused it.", hint="Ask the lab's owner.")
        self.holds.append(hold)
        return None if hold is None else "Lab schedule moved."


def controller(tmp_path: Path, lab: FakeLabSchedule) -> AutostopController:
    return AutostopController(
        Policy(AutostopConfig(), TZ),
        AutostopStore(tmp_path / "autostop.json"),
        "lab/vm",
        stop_vm=lambda: None,
        flush=lambda: None,
        hold_server_stop=lab.hold,
    )


def test_the_later_choice_decides_the_hold() -> None:
    snooze, morning = EVENING + timedelta(hours=1), EVENING + timedelta(hours=12)
    assert hold_for(snooze, None) == ServerHold(snooze)
    assert hold_for(snooze, morning) == ServerHold(morning, all_night=True)
    assert hold_for(morning + timedelta(hours=1), morning) == ServerHold(
        morning + timedelta(hours=1)
    )
    assert hold_for(None, None) is None


def test_snooze_holds_the_lab_and_its_end_releases_it_once_per_tick(tmp_path: Path) -> None:
    lab = FakeLabSchedule()
    ctl = controller(tmp_path, lab)

    said = ctl.snooze(EVENING, timedelta(hours=1))

    assert said == "Snoozed: the VM keeps running until at least 19:45. Lab schedule moved."
    assert lab.holds == [ServerHold(EVENING + timedelta(hours=1))]
    ctl.tick(EVENING + timedelta(minutes=30), running=True, active=True)
    assert len(lab.holds) == 1  # still held: nothing given back
    ctl.tick(EVENING + timedelta(minutes=61), running=True, active=True)
    assert lab.holds[-1] is None  # the snooze is over: the lab's schedule comes back
    assert ctl.resume(EVENING + timedelta(minutes=62)) == "Auto-stop is back on."


def test_a_refusal_is_told_and_the_snooze_still_holds(tmp_path: Path) -> None:
    lab = FakeLabSchedule()
    lab.refuse = True
    ctl = controller(tmp_path, lab)

    said = ctl.keep_running_tonight(EVENING)

    assert said.startswith("The VM keeps running tonight (until 07:00). The lab's own shutdown")
    assert "Azure refused it. Ask the lab's owner." in said
    assert ctl.store.load("lab/vm").keep_running_until is not None
    assert ctl.release_ended_hold(EVENING) is None  # a hold is active: nothing to give back
