"""What file sync is doing, as immutable snapshots every engine reports in the same words.

The tray's Sync row, `devtray sync status` and the auto-stop policy ("never stop a VM with
unsynced changes") all read these; none of them knows which engine produced one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from desktop.core.text import QT_TRANSLATE_NOOP, Text


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

    def summary_words(self, now: datetime | None = None) -> Text:
        """One line for a person: `watching, synced 4s ago`, `syncing 12 files`, ...
        (translatable)."""
        text = self._phase_words(now)
        if self.pending and self.phase is not SyncPhase.SYNCING:
            text = _AND(text=text, more=_WAITING(self.pending))
        return text

    def summary(self, now: datetime | None = None) -> str:
        """`summary_words` in English."""
        return str(self.summary_words(now))

    def _phase_words(self, now: datetime | None) -> Text:
        if self.phase is SyncPhase.SYNCING:
            if self.checkout_files:
                return _SYNCING_CHECKOUT(self.checkout_files)
            return _SYNCING(self.syncing_files or self.pending)
        if self.phase in (SyncPhase.OFFLINE, SyncPhase.ERROR):
            reason = self.reason or str(_UNKNOWN_REASON)
            return _BROKEN(phase=_PHASES[self.phase], reason=reason)
        text = _PHASES[self.phase]
        if self.phase is SyncPhase.WATCHING:
            if self.last_synced_at is not None:
                ago = ((now or datetime.now(UTC)) - self.last_synced_at).total_seconds()
                text = _AND(text=text, more=_SYNCED(ago=_ago(ago)))
            if self.checkout_files:
                text = _CHECKOUT(self.checkout_files, text=text)
            if self.conflicts:
                text = _AND(text=text, more=_CONFLICTS(len(self.conflicts)))
        return text

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


_PHASES = {
    SyncPhase.STARTING: QT_TRANSLATE_NOOP("sync", "starting", "sync phase"),
    SyncPhase.WATCHING: QT_TRANSLATE_NOOP("sync", "watching", "sync phase"),
    SyncPhase.SYNCING: QT_TRANSLATE_NOOP("sync", "syncing", "sync phase"),
    SyncPhase.PAUSED: QT_TRANSLATE_NOOP("sync", "paused", "sync phase"),
    SyncPhase.OFFLINE: QT_TRANSLATE_NOOP("sync", "offline", "sync phase"),
    SyncPhase.ERROR: QT_TRANSLATE_NOOP("sync", "error", "sync phase"),
    SyncPhase.STOPPED: QT_TRANSLATE_NOOP("sync", "stopped", "sync phase"),
}
_AND = QT_TRANSLATE_NOOP("sync", "{text}, {more}")
_WAITING = QT_TRANSLATE_NOOP("sync", "%Ln file(s) waiting", None, 1)
_SYNCING = QT_TRANSLATE_NOOP("sync", "syncing %Ln file(s)", None, 1)
_SYNCING_CHECKOUT = QT_TRANSLATE_NOOP("sync", "syncing %Ln file(s) changed by checkout", None, 1)
_CHECKOUT = QT_TRANSLATE_NOOP("sync", "{text} (%Ln file(s) changed by checkout)", None, 1)
_CONFLICTS = QT_TRANSLATE_NOOP("sync", "%Ln conflict(s)", None, 1)
_BROKEN = QT_TRANSLATE_NOOP("sync", "{phase}: {reason}")
_UNKNOWN_REASON = QT_TRANSLATE_NOOP("sync", "unknown reason")
_SYNCED = QT_TRANSLATE_NOOP("sync", "synced {ago}")
_SECONDS_AGO = QT_TRANSLATE_NOOP("sync", "{n}s ago")
_MINUTES_AGO = QT_TRANSLATE_NOOP("sync", "{n}m ago")
_HOURS_AGO = QT_TRANSLATE_NOOP("sync", "{n}h ago")


def _ago(seconds: float) -> Text:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _SECONDS_AGO(n=seconds)
    if seconds < 3600:
        return _MINUTES_AGO(n=seconds // 60)
    return _HOURS_AGO(n=seconds // 3600)


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
