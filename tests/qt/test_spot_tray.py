"""A spot VM in the tray (offscreen, demo cloud): the cost line says spot, saving, read time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.core.autostop_store import AutostopStore
from desktop.core.config import AutostopConfig
from desktop.core.model import VmState
from desktop.core.spend_record import SpendRecord
from desktop.core.spend_tracker import SpendTracker
from desktop.providers.demo import DemoProvider
from desktop.qt.cost_autostop import CostAndAutostop
from tests.qt.conftest import FAST
from tests.qt.test_cost_autostop import TZ, VM, FakeClock
from tests.qt.test_tray import open_menu, wait_for_state


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
        (("demo-devbox", "demo.large", VmState.RUNNING),), timings=FAST, spot=("demo-devbox",)
    )
    harness = make_tray(demo, contributions=(watch,), extensions=(watch,))
    wait_for_state(qtbot, harness, VmState.RUNNING)
    # Spot demo.large: 32 % of $0.1664, + 30 GB at $0.08/GB-month + one IPv4 at $0.005/h,
    # against $0.1747/h on-demand: 65 % less.
    expected = "Spot $0.0615/h · saves 65 % · price read 10:00 · today $0.00 (estimate, partial)"
    qtbot.waitUntil(lambda: open_menu(harness.tray)[f"cost:{VM}"].text() == expected, timeout=5000)
    assert f"demo-devbox: {expected}" in harness.tray.icon.toolTip()
