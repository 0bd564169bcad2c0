"""The durable record of state changes: only changes written, torn lines survived, compaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from desktop.core.cost import HourlyRates
from desktop.core.model import VmSnapshot, VmState
from desktop.core.spend import summarize
from desktop.core.spend_record import RETENTION, SpendRecord, default_record_path

RATES = HourlyRates(running=0.5, stopped=0.02)
T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)


def vm(state: VmState, since: datetime | None = None, size: str = "t3.large") -> VmSnapshot:
    return VmSnapshot(
        provider="aws",
        id="i-1",
        name="dev",
        region="eu-west-1",
        state=state,
        size=size,
        state_since=since,
    )


def test_record_lives_in_the_user_data_dir(isolated_home: Path) -> None:
    assert default_record_path().is_relative_to(isolated_home)
    assert default_record_path().name == "spend.jsonl"


def test_only_changes_are_written_and_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "spend.jsonl"
    record = SpendRecord(path)
    assert record.observe(vm(VmState.RUNNING), RATES, T0) is not None
    assert record.observe(vm(VmState.RUNNING), RATES, T0 + timedelta(minutes=1)) is None
    assert record.observe(vm(VmState.STOPPED), RATES, T0 + timedelta(hours=2)) is not None
    assert record.observe(vm(VmState.STOPPED, size="t3.xlarge"), RATES, T0 + timedelta(hours=3))
    assert len(path.read_text().splitlines()) == 3
    reopened = SpendRecord(path).changes("i-1")
    assert [c.state for c in reopened] == [VmState.RUNNING, VmState.STOPPED, VmState.STOPPED]
    summary = summarize(reopened, "i-1", T0 + timedelta(hours=4), UTC)
    assert summary.today.amount == 2 * 0.5 + 2 * 0.02
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_start_while_devtray_was_closed_is_dated_by_the_cloud(tmp_path: Path) -> None:
    record = SpendRecord(tmp_path / "spend.jsonl")
    record.observe(vm(VmState.STOPPED), RATES, T0)
    started = T0 + timedelta(days=1, hours=1)
    entry = record.observe(
        vm(VmState.RUNNING, since=started), RATES, T0 + timedelta(days=1, hours=5)
    )
    assert entry is not None
    assert entry.at == started
    # A "since" before the last entry (clock skew, stale data) never rewrites history.
    entry = record.observe(vm(VmState.STOPPED, since=T0), RATES, T0 + timedelta(days=2))
    assert entry is not None
    assert entry.at == T0 + timedelta(days=2)


def test_a_torn_last_line_is_skipped_and_the_next_entry_starts_fresh(tmp_path: Path) -> None:
    path = tmp_path / "spend.jsonl"
    record = SpendRecord(path)
    record.observe(vm(VmState.RUNNING), RATES, T0)
    with path.open("ab") as handle:
        handle.write(b'{"at":"2026-06-01T09:00:00+00:00","vm":"i-1","sta')  # crash mid-write
    record.observe(vm(VmState.STOPPED), RATES, T0 + timedelta(hours=2))
    changes = record.changes()
    assert [c.state for c in changes] == [VmState.RUNNING, VmState.STOPPED]


def test_garbage_lines_do_not_stop_reading(tmp_path: Path) -> None:
    path = tmp_path / "spend.jsonl"
    path.write_text(
        "not json\n[1,2]\n"
        '{"at":"2026-06-01T08:00:00","vm":"i-1","state":"running","size":"x"}\n'
        '{"at":"2026-06-01T08:00:00+00:00","vm":"i-1","state":"running","size":"x",'
        '"running":true}\n'
        '{"at":"2026-06-01T08:00:00+00:00","vm":"i-1","state":"running","size":"x",'
        '"running":0.5,"stopped":null}\n'
    )
    changes = SpendRecord(path).changes()
    assert len(changes) == 1
    assert changes[0].rates == HourlyRates(running=0.5, stopped=None)


def test_compaction_keeps_the_state_in_force_at_the_cutoff(tmp_path: Path) -> None:
    path = tmp_path / "spend.jsonl"
    record = SpendRecord(path)
    old = T0 - RETENTION - timedelta(days=30)
    record.observe(vm(VmState.RUNNING), RATES, old)
    record.observe(vm(VmState.STOPPED), RATES, old + timedelta(days=1))
    record.observe(vm(VmState.RUNNING), RATES, T0)
    record.compact(T0)
    changes = record.changes()
    assert [(c.at, c.state) for c in changes] == [
        (old + timedelta(days=1), VmState.STOPPED),
        (T0, VmState.RUNNING),
    ]
