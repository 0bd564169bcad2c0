"""Cost line, countdown and the auto-stop warning's choices in the tray (offscreen, demo cloud).

The clock is fake and the policy is ticked by hand, one minute at a time; the VM's activity
probe and the sync flush are boundary fakes (no SSH, no sync engine in these tests).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from desktop.app import configured_providers
from desktop.core.autostop_store import AutostopStore
from desktop.core.config import AutostopConfig
from desktop.core.cost import HOURS_PER_MONTH
from desktop.core.model import VmSnapshot, VmState
from desktop.core.spend_record import SpendRecord
from desktop.core.spend_tracker import SpendTracker
from desktop.providers.aws.pricing import PriceTable
from desktop.providers.demo import DemoProvider
from desktop.qt.cost_autostop import CostAndAutostop
from desktop.qt.desktop_notifications import ActionNotifier
from tests.integration.test_aws_cost import X86_IMAGE
from tests.moto_server import MotoEndpoint, run_instance
from tests.qt.conftest import FAST, Harness, make_demo
from tests.qt.test_tray import open_menu, wait_for_state

TZ = ZoneInfo("Europe/Berlin")
VM = "demo-0001"


class FakeClock:
    """The time the tray's cost and auto-stop code sees."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class FakeSync:
    """Boundary fake for the sync engine: says whether changes can be flushed."""

    def __init__(self) -> None:
        self.unsynced: str | None = None
        self.flushed: list[str] = []

    def flush(self, vm: VmSnapshot) -> str | None:
        self.flushed.append(vm.id)
        return self.unsynced


def build(
    make_tray: Callable[..., Harness],
    tmp_path: Path,
    clock: FakeClock,
    sync: FakeSync,
    notifier: ActionNotifier | None = None,
    demo: DemoProvider | None = None,
) -> tuple[Harness, CostAndAutostop]:
    watch = CostAndAutostop(
        SpendTracker(SpendRecord(tmp_path / "spend.jsonl"), clock, TZ),
        AutostopConfig(),
        activity=lambda _vm: False,  # boundary fake: nobody is typing on the VM
        clock=clock,
        tz=TZ,
        store=AutostopStore(tmp_path / "autostop.json"),
        flush=sync.flush,
        notifier=notifier,
        tick_ms=3_600_000,  # the test ticks by hand
    )
    harness = make_tray(
        demo or make_demo(VmState.RUNNING), contributions=(watch,), extensions=(watch,)
    )
    return harness, watch


def build_for_configured_cloud(
    make_tray: Callable[..., Harness], tmp_path: Path
) -> tuple[Harness, CostAndAutostop]:
    """The tray on the configured cloud (moto), with the real date: clouds answer in it."""
    clock = FakeClock(datetime.now(TZ))
    watch = CostAndAutostop(
        SpendTracker(SpendRecord(tmp_path / "spend.jsonl"), clock, TZ),
        AutostopConfig(),
        activity=lambda _vm: None,
        clock=clock,
        tz=TZ,
        store=AutostopStore(tmp_path / "autostop.json"),
        tick_ms=3_600_000,
    )
    harness = make_tray(
        providers=configured_providers,
        demo_mode=False,
        contributions=(watch,),
        extensions=(watch,),
    )
    return harness, watch


def tick_until(qtbot: QtBot, watch: CostAndAutostop, clock: FakeClock, end: datetime) -> None:
    """Tick once a minute from the clock's time up to `end` (inclusive)."""
    while clock.now <= end:
        with qtbot.waitSignal(watch.decided, timeout=5000):
            watch.tick()
        clock.now += timedelta(minutes=1)
    clock.now -= timedelta(minutes=1)


def trigger(qtbot: QtBot, menu: dict[str, QAction], key: str, watch: CostAndAutostop) -> None:
    with qtbot.waitSignal(watch.notified, timeout=5000):
        menu[key].trigger()


def test_cost_line_and_tooltip(qtbot: QtBot, make_tray, tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 10, 0, tzinfo=TZ))
    harness, watch = build(make_tray, tmp_path, clock, FakeSync())
    wait_for_state(qtbot, harness, VmState.RUNNING)
    # demo.large $0.1664/h + 30 GB at $0.08/GB-month + one IPv4 at $0.005/h
    expected = "$0.1747/h · today $0.00 (estimate since 10:00, when devtray began recording)"
    qtbot.waitUntil(lambda: open_menu(harness.tray)[f"cost:{VM}"].text() == expected, timeout=5000)
    assert f"demo-devbox: {expected}" in harness.tray.icon.toolTip()
    clock.now += timedelta(hours=2)
    harness.controller.refresh_now()  # a later look re-prices (more than 10 min later)
    qtbot.waitUntil(
        lambda: "today $0.35" in open_menu(harness.tray)[f"cost:{VM}"].text(), timeout=5000
    )

    open_menu(harness.tray)[f"spending:{VM}"].trigger()
    qtbot.waitUntil(lambda: VM in watch.windows, timeout=5000)
    window = watch.windows[VM]
    assert window.windowTitle() == "devtray (Demo) — Spending: demo-devbox"
    qtbot.waitUntil(lambda: window.summary.text().startswith("$0.1747/h"), timeout=5000)
    assert "This month: $0.35 (estimate, partial)" in window.summary.text()
    assert "Last 30 days: $0.35" in window.summary.text()
    days = window.chart.days
    assert len(days) == 30
    assert days[-1][0] == clock.now.date()
    assert days[-1][1].amount == pytest.approx(2 * 0.1747, abs=0.001)
    assert all(cost.amount == 0 for _day, cost in days[:-1])
    assert not window.chart.grab().isNull()  # paints without error


def test_warning_then_snooze_from_the_menu(qtbot: QtBot, make_tray, tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 18, 30, tzinfo=TZ))  # a Monday
    harness, watch = build(make_tray, tmp_path, clock, FakeSync())
    wait_for_state(qtbot, harness, VmState.RUNNING)
    with qtbot.waitSignal(watch.notified, timeout=5000) as warned:
        tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 18, 45, tzinfo=TZ))
    assert warned.args[0] == "VM stops soon"
    assert warned.args[1].startswith("The VM stops at 19:00 (end of the day).")
    menu = open_menu(harness.tray)
    assert menu[f"autostop:{VM}"].text() == "Auto-stop: stops at 19:00 (in 15 min)"
    assert "demo-devbox: stops at 19:00 (in 15 min)" in harness.tray.icon.toolTip()
    labels = [
        menu[f"autostop-{key}:{VM}"].text()
        for key in ("snooze-30", "snooze-60", "snooze-120", "keep", "stop")
    ]
    assert labels == [
        "Snooze 30 min",
        "Snooze 1 h",
        "Snooze 2 h",
        "Keep running tonight",
        "Stop now",
    ]

    trigger(qtbot, menu, f"autostop-snooze-30:{VM}", watch)
    assert AutostopStore(tmp_path / "autostop.json").load(VM).snooze_until == datetime(
        2026, 11, 2, 19, 15, tzinfo=TZ
    )
    qtbot.waitUntil(
        lambda: (
            open_menu(harness.tray)[f"autostop:{VM}"].text()
            == "Auto-stop: stops at 19:15 (in 30 min)"
        ),
        timeout=5000,
    )
    # Nothing stops at 19:00 any more; the VM keeps running.
    clock.now += timedelta(minutes=1)
    tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 19, 5, tzinfo=TZ))
    assert harness.controller.view.vm(VM).state is VmState.RUNNING  # type: ignore[union-attr]


def test_unsynced_changes_block_the_stop_then_it_goes_ahead(
    qtbot: QtBot, make_tray, tmp_path: Path
) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 18, 40, tzinfo=TZ))
    sync = FakeSync()
    sync.unsynced = "2 changed files could not reach the VM"
    harness, watch = build(make_tray, tmp_path, clock, sync)
    wait_for_state(qtbot, harness, VmState.RUNNING)
    tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 18, 59, tzinfo=TZ))
    clock.now += timedelta(minutes=1)
    with qtbot.waitSignal(watch.notified, timeout=5000) as blocked:
        tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 19, 0, tzinfo=TZ))
    assert blocked.args == [
        "VM not stopped",
        "Not stopping the VM: 2 changed files could not reach the VM",
    ]
    assert harness.controller.view.vm(VM).state is VmState.RUNNING  # type: ignore[union-attr]
    assert sync.flushed == [VM]

    sync.unsynced = None
    clock.now += timedelta(minutes=1)
    with qtbot.waitSignal(watch.notified, timeout=5000) as stopping:
        tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 19, 5, tzinfo=TZ))
    assert stopping.args[0] == "Stopping the VM"
    wait_for_state(qtbot, harness, VmState.STOPPED)


def test_keep_running_tonight_from_the_menu(qtbot: QtBot, make_tray, tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 18, 44, tzinfo=TZ))
    harness, watch = build(make_tray, tmp_path, clock, FakeSync())
    wait_for_state(qtbot, harness, VmState.RUNNING)
    tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 18, 45, tzinfo=TZ))
    trigger(qtbot, open_menu(harness.tray), f"autostop-keep:{VM}", watch)
    qtbot.waitUntil(
        lambda: (
            open_menu(harness.tray)[f"autostop:{VM}"].text() == "Auto-stop: keeps running tonight"
        ),
        timeout=5000,
    )
    assert f"autostop-snooze-30:{VM}" not in open_menu(harness.tray)
    keep = AutostopStore(tmp_path / "autostop.json").load(VM).keep_running_until
    assert keep == datetime(2026, 11, 3, 7, 0, tzinfo=TZ)
    clock.now += timedelta(minutes=1)
    tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 19, 10, tzinfo=TZ))
    assert harness.controller.view.vm(VM).state is VmState.RUNNING  # type: ignore[union-attr]


def test_stop_now_from_the_warning(qtbot: QtBot, make_tray, tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 18, 44, tzinfo=TZ))
    sync = FakeSync()
    harness, watch = build(make_tray, tmp_path, clock, sync)
    wait_for_state(qtbot, harness, VmState.RUNNING)
    tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 18, 45, tzinfo=TZ))
    trigger(qtbot, open_menu(harness.tray), f"autostop-stop:{VM}", watch)
    wait_for_state(qtbot, harness, VmState.STOPPED)
    assert sync.flushed == [VM]


def test_cost_line_for_a_moto_vm(
    qtbot: QtBot, make_tray, moto: MotoEndpoint, config_file: Path, tmp_path: Path
) -> None:
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    vm_id = run_instance("devbox", instance_type="t3.micro", image=X86_IMAGE)
    harness, _watch = build_for_configured_cloud(make_tray, tmp_path)
    # moto has no Pricing API: the offline table prices t3.micro, its 8 GB gp2 disk and its IP.
    table = PriceTable.load()
    hourly = (
        table.on_demand["eu-west-1"]["t3.micro"]
        + 8 * table.storage["eu-west-1"]["gp2"] / HOURS_PER_MONTH
        + table.public_ipv4_hourly
    )
    expected = f"${hourly:.4f}/h · today $0.00 (estimate since "
    qtbot.waitUntil(
        lambda: (
            f"cost:{vm_id}" in open_menu(harness.tray)
            and open_menu(harness.tray)[f"cost:{vm_id}"].text().startswith(expected)
        ),
        timeout=15000,
    )
    assert f"devbox: {expected}" in harness.tray.icon.toolTip()


def test_a_tray_started_inside_the_warning_window_still_warns(
    qtbot: QtBot, make_tray, tmp_path: Path
) -> None:
    # Issue 12 item 20: the VM has run since 08:00 (the cloud says so); the tray starts at
    # 18:50, inside the 15-minute warning window of the 19:00 stop.
    morning = datetime(2026, 11, 2, 8, 0, tzinfo=TZ)  # a Monday
    clock = FakeClock(datetime(2026, 11, 2, 18, 50, tzinfo=TZ))
    demo = DemoProvider(
        (("demo-devbox", "demo.large", VmState.RUNNING),), timings=FAST, wall_clock=lambda: morning
    )
    harness, watch = build(make_tray, tmp_path, clock, FakeSync(), demo=demo)
    wait_for_state(qtbot, harness, VmState.RUNNING)

    with qtbot.waitSignal(watch.notified, timeout=5000) as warned:
        tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 18, 51, tzinfo=TZ))

    # A warning always stands `warn_minutes` before the stop, so it moves to 19:05.
    assert warned.args[1].startswith("The VM stops at 19:05 (end of the day).")


def test_the_tray_message_warning_opens_the_choices_until_it_is_withdrawn(
    qtbot: QtBot, make_tray, tmp_path: Path
) -> None:
    # macOS and Windows (and Linux without a notification server): a tray message, no buttons.
    clock = FakeClock(datetime(2026, 11, 2, 18, 30, tzinfo=TZ))
    harness, watch = build(make_tray, tmp_path, clock, FakeSync())
    wait_for_state(qtbot, harness, VmState.RUNNING)
    with qtbot.waitSignal(watch.notified, timeout=5000):
        tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 18, 45, tzinfo=TZ))
    tray = harness.tray
    tray.icon.messageClicked.emit()  # a click on the warning: the menu holds the same choices
    qtbot.waitUntil(tray.menu.isVisible, timeout=5000)
    shown = {action.objectName() for action in tray.menu.actions()}
    assert {f"autostop-snooze-60:{VM}", f"autostop-keep:{VM}", f"autostop-stop:{VM}"} <= shown
    tray.menu.hide()

    harness.demo.stop_vm(VM)  # stopped elsewhere: the warning no longer applies
    harness.controller.refresh_now()
    wait_for_state(qtbot, harness, VmState.STOPPED)
    clock.now += timedelta(minutes=1)
    with qtbot.waitSignal(watch.decided, timeout=5000) as decided:
        watch.tick()
    assert decided.args == [VM, "withdraw"]
    tray.icon.messageClicked.emit()  # a late click on the withdrawn warning does nothing
    assert not tray.menu.isVisible()
