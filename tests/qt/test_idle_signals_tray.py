"""The tray's auto-stop tick with the laptop's sync activity (offscreen, demo cloud).

The sync is real: the built-in engine pushes to a real sshd on 127.0.0.1 with real rsync, and
the tray reads it through `LaptopActivity` as it does in the app. The VM's own probe (terminal
input and CPU over SSH) stays a boundary fake that sees nobody, so only sync can keep the VM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.core.autostop import Action
from desktop.core.autostop_store import AutostopStore
from desktop.core.config import AutostopConfig
from desktop.core.model import VmState
from desktop.core.project import load_project
from desktop.core.spend_record import SpendRecord
from desktop.core.spend_tracker import SpendTracker
from desktop.core.sync_state import SyncStatus
from desktop.qt.cost_autostop import CostAndAutostop
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync.builtin import BuiltinEngine
from desktop.remote.tray_activity import LaptopActivity
from desktop.remote.tunnels import TunnelTraffic
from tests.conftest import require_tool
from tests.qt.conftest import Harness, make_demo
from tests.qt.test_cost_autostop import TZ, VM, FakeClock
from tests.qt.test_tray import wait_for_state
from tests.sshd import SshServer
from tests.sync_helpers import FAST, target_for, wait_until


class _EngineFor:
    """Reports one running engine as the sync to the demo VM (what SyncService does)."""

    def __init__(self, engine: BuiltinEngine) -> None:
        self.engine = engine

    def status(self, vm_id: str) -> SyncStatus | None:
        return self.engine.status() if vm_id == VM else None


class _NoTunnels:
    """No tunnels are running (what ConnectService says before Start tunnels)."""

    def tunnel_traffic(self, vm_id: str) -> TunnelTraffic | None:
        return None


@pytest.fixture
def synced(sshd: SshServer, tmp_path: Path) -> Iterator[tuple[BuiltinEngine, Path, Path]]:
    require_tool("rsync")
    local, remote = tmp_path / "project", tmp_path / "vm" / "project"
    local.mkdir()
    (local / "app.py").write_text("v1")
    supervisor = Supervisor(tmp_path / "children")
    engine = BuiltinEngine(
        load_project(local), target_for(sshd, remote), supervisor=supervisor, tuning=FAST
    )
    engine.start()
    try:
        yield engine, local, remote
    finally:
        engine.stop()
        supervisor.stop_all()


def test_sync_changes_withdraw_an_idle_stop_and_a_no_op_flush_does_not(
    qtbot: QtBot, make_tray: Callable[..., Harness], tmp_path: Path, synced
) -> None:
    engine, local, remote = synced
    assert not engine.flush(timeout=30).has_unsynced_changes
    clock = FakeClock(datetime(2026, 11, 2, 10, 0, tzinfo=TZ))  # a Monday morning
    watch = CostAndAutostop(
        SpendTracker(SpendRecord(tmp_path / "spend.jsonl"), clock, TZ),
        AutostopConfig(idle_minutes=5, warn_minutes=3),
        activity=lambda _vm: False,  # boundary fake: nobody types or computes on the VM
        laptop_activity=LaptopActivity(_EngineFor(engine), _NoTunnels()),
        clock=clock,
        tz=TZ,
        store=AutostopStore(tmp_path / "autostop.json"),
        tick_ms=3_600_000,  # the test ticks by hand
    )
    harness = make_tray(make_demo(VmState.RUNNING), contributions=(watch,), extensions=(watch,))
    wait_for_state(qtbot, harness, VmState.RUNNING)

    def tick() -> str:
        with qtbot.waitSignal(watch.decided, timeout=10_000) as decided:
            watch.tick()
        clock.now += timedelta(minutes=1)
        return str(decided.args[1])

    # 10:00-10:06: five idle minutes bring the warning at 10:05; the stop is due at 10:08.
    assert [tick() for _ in range(7)] == [Action.NONE] * 5 + [Action.WARN, Action.NONE]

    # A flush that finds nothing (what auto-stop itself does before stopping) is not work.
    engine.flush(timeout=30)
    assert tick() == Action.NONE

    # 10:08, the stop is due; but an edit on the laptop reached the VM: someone is working.
    before = engine.status().changes_synced
    (local / "app.py").write_text("v2")
    wait_until(lambda: engine.status().changes_synced > before, what="the edit pushed")
    assert (remote / "app.py").read_text() == "v2"
    assert tick() == Action.WITHDRAW
    assert harness.controller.view.vm(VM).state is VmState.RUNNING  # type: ignore[union-attr]
