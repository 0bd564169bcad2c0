"""A spot VM in the tray (offscreen, demo cloud): the cost line says spot, saving, read time."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.core.autostop_store import AutostopStore
from desktop.core.config import AutostopConfig
from desktop.core.model import VmSnapshot, VmState
from desktop.core.spend_record import SpendRecord
from desktop.core.spend_tracker import SpendTracker
from desktop.providers.demo import DemoProvider
from desktop.qt.cost_autostop import CostAndAutostop
from desktop.qt.spot_watch import SpotWatch
from desktop.remote.idle_agent import notice_of
from tests.imds_standin import ImdsStandIn
from tests.integration.test_idle_agent import Vm, vm  # noqa: F401 - the `vm` fixture
from tests.integration.test_spot_notices import start_watcher
from tests.qt.conftest import FAST, Harness
from tests.qt.test_cost_autostop import TZ, VM, FakeClock
from tests.qt.test_tray import open_menu, wait_for_state

# Fast demo timings without the demo's own spot interruption (these tests bring theirs).
CALM = replace(FAST, spot_notice=3600.0)


def test_cost_line_of_a_spot_vm(qtbot: QtBot, make_tray, tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 10, 0, tzinfo=TZ))
    watch = CostAndAutostop(
        SpendTracker(SpendRecord(tmp_path / "spend.jsonl"), clock, TZ),
        AutostopConfig(),
        activity=lambda _vm: False,  # boundary fake: nobody is typing on the VM
        clock=clock,
        tz=TZ,
        store=AutostopStore(tmp_path / "autostop.json"),
        tick_ms=3_600_000,
    )
    demo = DemoProvider(
        (("demo-devbox", "demo.large", VmState.RUNNING),), timings=CALM, spot=("demo-devbox",)
    )
    harness = make_tray(demo, contributions=(watch,), extensions=(watch,))
    wait_for_state(qtbot, harness, VmState.RUNNING)
    # Spot demo.large: 32 % of $0.1664, + 30 GB at $0.08/GB-month + one IPv4 at $0.005/h,
    # against $0.1747/h on-demand: 65 % less.
    expected = (
        "Spot $0.0615/h · saves 65 % · price read 10:00 · "
        "today $0.00 (estimate since 10:00, when devtray began recording)"
    )
    qtbot.waitUntil(lambda: open_menu(harness.tray)[f"cost:{VM}"].text() == expected, timeout=5000)
    assert f"demo-devbox: {expected}" in harness.tray.icon.toolTip()

    # Two hours on: $0.1231 at spot prices, $0.3494 had it been on-demand.
    clock.now += timedelta(hours=2)
    harness.controller.refresh_now()
    qtbot.waitUntil(
        lambda: "today $0.12" in open_menu(harness.tray)[f"cost:{VM}"].text(), timeout=5000
    )
    open_menu(harness.tray)[f"spending:{VM}"].trigger()
    qtbot.waitUntil(lambda: VM in watch.windows, timeout=5000)
    window = watch.windows[VM]
    qtbot.waitUntil(
        lambda: "Spot saved $0.23 this month ($0.35 at on-demand prices)" in window.summary.text(),
        timeout=5000,
    )


class RecordingFlush:
    """Boundary fake for the sync service's flush (no sync runs here): when it was asked."""

    def __init__(self) -> None:
        self.at: list[datetime] = []

    def __call__(self, _vm: VmSnapshot) -> str | None:
        self.at.append(datetime.now(UTC))
        return None


def test_an_interruption_notice_reaches_the_tray_and_flushes_sync(
    qtbot: QtBot,
    make_tray,
    vm: Vm,  # noqa: F811
    imds: ImdsStandIn,
) -> None:
    # The VM side is real: the agent installed over the real sshd, its watcher run by sshd
    # as the VM user, polling the stand-in IMDSv2; the tray reads the notice over SSH.
    vm.agent.install(idle_minutes=30, ssh_port=vm.sshd.port)
    (vm.prefix / "etc/devtray-agent/imds-url-for-tests").write_text(imds.url)
    watcher = start_watcher(vm)
    flush = RecordingFlush()
    watch = SpotWatch(
        lambda _provider, _vm: vm.agent.notice(),
        flush,
        clock=lambda: datetime.now(UTC),
        tz=TZ,
        poll_ms=200,
    )
    demo = DemoProvider(
        (("demo-devbox", "demo.large", VmState.RUNNING),), timings=CALM, spot=("demo-devbox",)
    )
    try:
        harness = make_tray(demo, contributions=(watch,), extensions=(watch,))
        wait_for_state(qtbot, harness, VmState.RUNNING)
        deadline = (datetime.now(UTC) + timedelta(minutes=2)).replace(microsecond=0)
        with qtbot.waitSignal(watch.notified, timeout=10_000) as shown:
            imds.interrupt(deadline)
        title, message = shown.args
        at = deadline.astimezone(TZ).strftime("%H:%M")
        assert title == "Spot interruption"
        assert re.fullmatch(rf"AWS takes demo-devbox back at {at} \(in 1 min \d+ s\)", message)
        qtbot.waitUntil(lambda: bool(flush.at), timeout=5000)
        assert flush.at[0] < deadline
        row = open_menu(harness.tray)[f"spot:{VM}"].text()
        assert row.startswith(f"AWS takes it back at {at} (in 1 min ")

        # AWS stops it (a persistent request that stops): the row says it waits for capacity.
        with qtbot.waitSignal(watch.changed, timeout=10_000):
            harness.demo.stop_vm(VM)
        wait_for_state(qtbot, harness, VmState.STOPPED)
        qtbot.waitUntil(
            lambda: (
                open_menu(harness.tray)[f"spot:{VM}"].text()
                == "Waiting for spot capacity — AWS restarts demo-devbox when it can"
            ),
            timeout=5000,
        )
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)


class FakePerson:
    """Boundary fake for the person answering the confirmation dialog."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, _title: str, question: str) -> bool:
        self.asked.append(question)
        return True


def test_switch_to_on_demand_from_the_menu(qtbot: QtBot, make_tray) -> None:
    person = FakePerson()
    watch = SpotWatch(
        lambda _provider, _vm: None,
        RecordingFlush(),
        clock=lambda: datetime.now(UTC),
        tz=TZ,
        ask=person,
        poll_ms=3_600_000,
    )
    demo = DemoProvider(
        (("demo-devbox", "demo.large", VmState.RUNNING),), timings=CALM, spot=("demo-devbox",)
    )
    harness = make_tray(demo, contributions=(watch,), extensions=(watch,))
    wait_for_state(qtbot, harness, VmState.RUNNING)
    row = open_menu(harness.tray)[f"market:{VM}"]
    assert row.text() == "Switch to on-demand (keeps the disk)…"
    with qtbot.waitSignal(
        watch.notified,
        timeout=10_000,
        check_params_cb=lambda _title, message: message == "demo-devbox is now on-demand.",
    ):
        row.trigger()
    assert person.asked and "the old instance is terminated once the new one" in person.asked[0]
    qtbot.waitUntil(lambda: not harness.controller.view.vms[0].spot, timeout=5000)
    assert open_menu(harness.tray)[f"market:{VM}"].text() == "Switch to spot (keeps the disk)…"


def row_text(harness: Harness, key: str) -> str | None:
    """The menu row's text, or None when the menu has no such row (now)."""
    action = open_menu(harness.tray).get(key)
    return action.text() if action is not None else None


def test_the_demo_plays_an_interruption_and_the_restart(qtbot: QtBot, make_tray) -> None:
    # The demo's spot VM gets AWS's notice after 0.5 s of running and is taken back 3 s later,
    # then restarted as a persistent request is: the whole story, with the app's probe.
    timings = replace(FAST, spot_notice=0.5, spot_deadline=3.0, start=3.0)
    demo = DemoProvider(
        (("demo-devbox", "demo.large", VmState.RUNNING),), timings=timings, spot=("demo-devbox",)
    )
    flush = RecordingFlush()
    watch = SpotWatch(notice_of, flush, clock=lambda: datetime.now(UTC), tz=TZ, poll_ms=100)
    harness = make_tray(demo, contributions=(watch,), extensions=(watch,))
    with qtbot.waitSignal(watch.notified, timeout=10_000) as shown:
        wait_for_state(qtbot, harness, VmState.RUNNING)
    assert shown.args[0] == "Spot interruption"
    assert re.fullmatch(r"AWS takes demo-devbox back at \d\d:\d\d \(in \d s\)", shown.args[1])
    qtbot.waitUntil(lambda: bool(flush.at), timeout=5000)
    qtbot.waitUntil(
        lambda: (
            row_text(harness, f"spot:{VM}")
            == "Waiting for spot capacity — AWS restarts demo-devbox when it can"
        ),
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: row_text(harness, f"spot:{VM}") is None, timeout=10_000)
    assert harness.controller.view.vms[0].state is VmState.RUNNING
