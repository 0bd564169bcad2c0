"""devtray's own durable record of VM state changes, the ground truth of its cost estimates.

One JSON object per line in `spend.jsonl` under the user data dir. Appends are single `write`s
on an O_APPEND descriptor followed by fsync, so the tray and the CLI can both record and a
crash loses at most the line being written; a torn last line is skipped when reading. Only
changes are written (state, size or rates), so the file grows by a few lines a day; entries
older than the retention are dropped by an atomic rewrite once the file gets large.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import platformdirs

from desktop.core.config import APP_NAME
from desktop.core.cost import HourlyRates, StateChange
from desktop.core.files import atomic_write
from desktop.core.model import VmSnapshot, VmState

log = logging.getLogger(__name__)

RECORD_NAME = "spend.jsonl"
RETENTION = timedelta(days=400)
COMPACT_ABOVE_BYTES = 512 * 1024


def data_dir() -> Path:
    """The platform's user data dir for devtray (XDG_DATA_HOME on Linux)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_record_path() -> Path:
    """Where the spend record lives."""
    return data_dir() / RECORD_NAME


class SpendRecord:
    """Append-only record of state changes, read back as `StateChange`s."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_record_path()

    def changes(self, vm_id: str | None = None) -> list[StateChange]:
        """Every readable change (of one VM, if given) in time order."""
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        found = []
        for number, line in enumerate(lines, start=1):
            change = _parse(line)
            if change is None:
                if line.strip():
                    log.warning("%s line %d is not a state change; skipped", self.path, number)
                continue
            if vm_id is None or change.vm_id == vm_id:
                found.append(change)
        return sorted(found, key=lambda c: c.at)

    def observe(self, vm: VmSnapshot, rates: HourlyRates, now: datetime) -> StateChange | None:
        """Record what a fresh snapshot shows if it differs from the last entry for that VM.

        The change is dated when the cloud says the state began (`state_since`) if that lies
        after the last entry — so a start that happened while devtray was closed is billed
        from the real start — and at `now` otherwise. Returns the new entry, if any.
        """
        history = self.changes(vm.id)
        last = history[-1] if history else None
        if last is not None and (last.state, last.size, last.rates) == (vm.state, vm.size, rates):
            return None
        at = now
        since = vm.state_since
        if since is not None and since <= now and (last is None or since > last.at):
            at = since
        change = StateChange(at=at, vm_id=vm.id, state=vm.state, size=vm.size, rates=rates)
        self._append(change)
        return change

    def _append(self, change: StateChange) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(_to_json(change), separators=(",", ":")).encode() + b"\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            # A torn line from a crash must not swallow this one: start on a fresh line.
            size = os.fstat(fd).st_size
            if size and not _ends_with_newline(self.path):
                line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if size + len(line) > COMPACT_ABOVE_BYTES:
            self.compact(change.at)

    def compact(self, now: datetime) -> None:
        """Drop entries older than the retention, keeping each VM's last state before it."""
        changes = self.changes()
        cutoff = now - RETENTION
        kept: list[StateChange] = []
        carried: dict[str, StateChange] = {}
        for change in changes:
            if change.at < cutoff:
                carried[change.vm_id] = change
            else:
                kept.append(change)
        body = [*carried.values(), *kept]
        data = b"".join(
            json.dumps(_to_json(c), separators=(",", ":")).encode() + b"\n" for c in body
        )
        atomic_write(self.path, data, backup=False)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _to_json(change: StateChange) -> dict[str, Any]:
    return {
        "at": change.at.astimezone(UTC).isoformat(),
        "vm": change.vm_id,
        "state": str(change.state),
        "size": change.size,
        "running": change.rates.running,
        "stopped": change.rates.stopped,
        "currency": change.rates.currency,
        **(
            {"on_demand_running": change.rates.on_demand_running}
            if change.rates.on_demand_running is not None
            else {}
        ),
    }


def _parse(line: bytes) -> StateChange | None:
    try:
        data = json.loads(line)
        if not isinstance(data, Mapping):
            return None
        at = datetime.fromisoformat(str(data["at"]))
        if at.tzinfo is None:
            return None
        return StateChange(
            at=at,
            vm_id=str(data["vm"]),
            state=VmState(str(data["state"])),
            size=str(data["size"]),
            rates=HourlyRates(
                running=_rate(data.get("running")),
                stopped=_rate(data.get("stopped")),
                currency=str(data.get("currency") or "USD"),
                on_demand_running=_rate(data.get("on_demand_running")),
            ),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _rate(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a rate: {value!r}")
    return float(value)
