"""The laptop-side idle signals: rsync's itemized changes, Mutagen's cycles, counter growth,
tunnel traffic, and how `is_active` weighs them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from desktop.core.autostop import TUNNEL_NOISE_BYTES, ActivitySample, is_active, tunnel_used
from desktop.core.config import AutostopConfig
from desktop.core.model import VmSnapshot, VmState
from desktop.core.sync_state import SyncPhase, SyncStatus
from desktop.remote.sync.mutagen import own_cycles
from desktop.remote.sync.rsync import changed_items
from desktop.remote.tray_activity import LaptopActivity, counter_growth
from desktop.remote.tunnels import TrafficMeter, TunnelTraffic
from tests.conftest import require_tool

MINUTE = timedelta(minutes=1)

# Lines real rsync 3.x printed with --itemize-changes (pushes, pulls, a local run).
ITEMIZED = """created 3 directories for /home/me/vm/src/project
.d..t...... ./
<f+++++++++ .devtray.toml
<f+++++++++ README.md
cd+++++++++ src/
<f+++++++++ src/app.py
<f......... src/forced.py
>f..t...... results/a.csv
cL+++++++++ l -> a
hf+++++++++ copy => original
.d..t...... sub/
.f...p..... tool.sh
*deleting   sub/b
"""


def test_changed_items_counts_moved_content_and_deletions_only() -> None:
    # 3 sent files, the new folder, a forced resend, a pulled file, a link, a hard link, a
    # deletion; not rsync's message, folders' times or a permission-only change.
    assert changed_items(ITEMIZED) == 9
    assert changed_items("") == 0
    assert changed_items(".d..t...... ./\n") == 0  # a whole-tree run that found nothing


def test_changed_items_parses_what_rsync_really_prints(tmp_path: Path) -> None:
    require_tool("rsync")
    source, copy = tmp_path / "src", tmp_path / "dst"
    (source / "sub").mkdir(parents=True)
    copy.mkdir()  # as on the VM after the first push
    (source / "a").write_text("a")
    (source / "sub" / "b").write_text("b")

    def run() -> str:
        argv = ["rsync", "-rlpt", "--itemize-changes", "--delete-after", f"{source}/", str(copy)]
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout

    assert changed_items(run()) == 3  # a, sub/, sub/b
    assert changed_items(run()) == 0
    (source / "a").write_text("changed")
    (source / "sub" / "b").unlink()
    os.utime(source / "sub", (1, 1))
    assert changed_items(run()) == 2  # a, and b deleted


@pytest.mark.parametrize(
    ("previous", "current", "forced", "counted"),
    [
        (-1, 14, False, 0),  # the first reading is a baseline
        (14, 14, False, 0),
        (14, 17, False, 3),
        (14, 15, True, 0),  # devtray's flush ran that cycle
        (14, 0, False, 0),  # reconnected: Mutagen counts from 0 again
    ],
)
def test_mutagen_cycles(previous: int, current: int, forced: bool, counted: int) -> None:
    assert own_cycles(previous, current, forced=forced) == counted


def test_counter_growth_survives_an_engine_restart() -> None:
    assert counter_growth(4, 9) == 5
    assert counter_growth(9, 9) == 0
    assert counter_growth(9, 2) == 2  # a new engine counted 2 since it started


@pytest.mark.parametrize(
    ("sample", "active"),
    [
        (ActivitySample(sync_changes=1), True),
        (ActivitySample(sync_changes=0), False),
        (ActivitySample(tunnel_bytes=TUNNEL_NOISE_BYTES), False),  # keep-alives, probes
        (ActivitySample(tunnel_bytes=TUNNEL_NOISE_BYTES + 1), True),
        # Where bytes are counted they decide: a new tiny connection is a health check.
        (ActivitySample(tunnel_bytes=300, tunnel_connections=2), False),
        # Where they are not (macOS), a connection opened through a forward is the signal.
        (ActivitySample(tunnel_bytes=None, tunnel_connections=1), True),
        (ActivitySample(tunnel_bytes=None, tunnel_connections=0), False),
    ],
)
def test_is_active_with_sync_and_tunnel_signals(sample: ActivitySample, active: bool) -> None:
    assert tunnel_used(sample) is (active and sample.sync_changes == 0)
    assert is_active(sample, AutostopConfig(), since_tick=MINUTE) is active


def test_a_meter_without_processes_or_with_a_gone_one_reports_nothing() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    meter = TrafficMeter(measure_bytes=True)
    assert meter.look([]) == TunnelTraffic(bytes=0, new_connections=0)
    assert meter.look([(gone.pid, 8000)]) == TunnelTraffic(bytes=0, new_connections=0)
    assert TrafficMeter(measure_bytes=False).look([]).bytes is None


class _Statuses:
    """The sync side of LaptopActivity, as SyncService reports it: one engine, one VM."""

    def __init__(self) -> None:
        self.current: SyncStatus | None = None

    def status(self, vm_id: str) -> SyncStatus | None:
        return self.current if vm_id == "i-1" else None


class _NoTunnels:
    """No tunnels are running (what ConnectService says before Start tunnels)."""

    def tunnel_traffic(self, vm_id: str) -> TunnelTraffic | None:
        return None


def test_laptop_activity_reads_each_change_once() -> None:
    vm = VmSnapshot("aws", "i-1", "dev", "eu-west-1", VmState.RUNNING, "t3.large")
    sync = _Statuses()
    activity = LaptopActivity(sync, _NoTunnels())
    assert activity(vm) == ActivitySample()  # not syncing, no tunnels
    sync.current = SyncStatus("builtin", SyncPhase.WATCHING, changes_synced=4)
    assert activity(vm).sync_changes == 4  # the first run after Start sync
    assert activity(vm).sync_changes == 0
    sync.current = SyncStatus("builtin", SyncPhase.WATCHING, changes_synced=6)
    assert activity(vm).sync_changes == 2
    sync.current = None  # sync stopped, then started again: a new engine from 0
    activity(vm)
    sync.current = SyncStatus("builtin", SyncPhase.WATCHING, changes_synced=1)
    assert activity(vm).sync_changes == 1


def test_changes_synced_travels_through_json() -> None:
    status = SyncStatus("builtin", SyncPhase.WATCHING, changes_synced=12)
    assert SyncStatus.from_json(status.to_json()) == status
    assert status.to_json()["changes_synced"] == 12
