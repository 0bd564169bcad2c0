"""What file sync is doing, as immutable snapshots every engine reports in the same words.

The tray's Sync row, `devtray sync status` and the auto-stop policy ("never stop a VM with
unsynced changes") all read these; none of them knows which engine produced one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class SyncPhase(enum.StrEnum):
    """The engine's state."""

    STARTING = "starting"
    WATCHING = "watching"
    SYNCING = "syncing"
    PAUSED = "paused"
    OFFLINE = "offline"
    ERROR = "error"
    STOPPED = "stopped"


# Phases in which the VM may not hold what the laptop has.
_UNSETTLED = frozenset({SyncPhase.STARTING, SyncPhase.SYNCING, SyncPhase.OFFLINE, SyncPhase.ERROR})


@dataclass(frozen=True)
class SyncStatus:
    """One observation of a sync engine."""

    engine: str
    phase: SyncPhase
    pending: int = 0
    syncing_files: int = 0
    checkout_files: int = 0
    last_synced_at: datetime | None = None
    reason: str | None = None
    conflicts: tuple[str, ...] = ()
    # Only grows while the engine runs, by each change it carried either way (the built-in
    # engine: paths rsync created, updated or deleted; Mutagen: sync cycles it ran on its own).
    # Two readings' difference is sync activity for auto-stop; runs that found nothing add 0.
    changes_synced: int = 0

    @property
    def has_unsynced_changes(self) -> bool:
        """True when the VM may lack a change made on the laptop (auto-stop must flush first)."""
        return self.pending > 0 or self.phase in _UNSETTLED

    def summary(self, now: datetime | None = None) -> str:
        """One line for a person: `watching, synced 4s ago`, `syncing 12 files`, ..."""
        waiting = f", {_files(self.pending)} waiting" if self.pending else ""
        if self.phase is SyncPhase.SYNCING:
            if self.checkout_files:
                return f"syncing {_files(self.checkout_files)} changed by checkout"
            return f"syncing {_files(self.syncing_files or self.pending)}"
        if self.phase in (SyncPhase.OFFLINE, SyncPhase.ERROR):
            return f"{self.phase}: {self.reason or 'unknown reason'}{waiting}"
        if self.phase is SyncPhase.WATCHING:
            text = "watching"
            if self.last_synced_at is not None:
                ago = ((now or datetime.now(UTC)) - self.last_synced_at).total_seconds()
                text += f", synced {_ago(ago)}"
            if self.checkout_files:
                text += f" ({_files(self.checkout_files)} changed by checkout)"
            if self.conflicts:
                text += f", {len(self.conflicts)} conflicts"
            return text + waiting
        return f"{self.phase}{waiting}"

    def to_json(self) -> dict[str, Any]:
        """A JSON object (`devtray sync status --json`, the control channel)."""
        return {
            "engine": self.engine,
            "phase": str(self.phase),
            "pending": self.pending,
            "syncing_files": self.syncing_files,
            "checkout_files": self.checkout_files,
            "last_synced_at": self.last_synced_at.isoformat() if self.last_synced_at else None,
            "reason": self.reason,
            "conflicts": list(self.conflicts),
            "changes_synced": self.changes_synced,
            "unsynced_changes": self.has_unsynced_changes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SyncStatus:
        """The inverse of `to_json`."""
        last = data.get("last_synced_at")
        return cls(
            engine=str(data["engine"]),
            phase=SyncPhase(data["phase"]),
            pending=int(data.get("pending", 0)),
            syncing_files=int(data.get("syncing_files", 0)),
            checkout_files=int(data.get("checkout_files", 0)),
            last_synced_at=datetime.fromisoformat(last) if last else None,
            reason=data.get("reason"),
            conflicts=tuple(data.get("conflicts", ())),
            changes_synced=int(data.get("changes_synced", 0)),
        )


def _files(count: int) -> str:
    return f"{count:,} file" + ("" if count == 1 else "s")


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


class SyncControl(Protocol):
    """What the rest of devtray may ask of a running sync (the auto-stop policy included)."""

    def status(self) -> SyncStatus:
        """The latest snapshot."""
        ...

    def flush(self, timeout: float) -> SyncStatus:
        """Wait (up to `timeout` seconds) until the VM holds the laptop's tree; the final status."""
        ...

    def pause(self) -> SyncStatus:
        """Stop sending changes until resume (changes keep being noticed)."""
        ...

    def resume(self) -> SyncStatus:
        """Send what changed while paused, and carry on."""
        ...
