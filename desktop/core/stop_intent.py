"""Who stopped a VM, and whether connecting to it may start it again.

Start on connect (`ssh ALIAS` starts a stopped VM) must not undo a stop the person asked for a
minute ago: the tray's Stop, End my day, `devtray stop` and `devtray down` record "stopped on
purpose at T by X" here; auto-stop and the cloud's own schedules record nothing, so a VM they
stopped starts when an IDE connects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import platformdirs

from desktop.core.config import APP_NAME
from desktop.core.files import read_json_object, write_json_object

DEFAULT_GRACE = timedelta(minutes=15)


class StopSource(enum.StrEnum):
    """The user action that stopped a VM (its value is how the refusal names it)."""

    TRAY = "the tray's Stop"
    END_OF_DAY = "End my day"
    CLI_STOP = "`devtray stop`"
    CLI_DOWN = "`devtray down`"
    CLI_UP_EXIT = "`devtray up --stop-on-exit`"


@dataclass(frozen=True)
class StopIntent:
    """A stop the user asked for."""

    vm_id: str
    at: datetime  # timezone-aware
    by: StopSource


def default_store_path() -> Path:
    """`stop_intents.json` in devtray's state dir."""
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)) / "stop_intents.json"


class StopIntentStore:
    """`stop_intents.json`: VM id -> the last stop the user asked for."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_store_path()

    def record(self, intent: StopIntent) -> None:
        """Remember `intent` (replacing the VM's previous one)."""
        data = read_json_object(self.path)
        data[intent.vm_id] = {"at": intent.at.isoformat(), "by": intent.by.name}
        write_json_object(self.path, data)

    def load(self, vm_id: str) -> StopIntent | None:
        """The VM's recorded intent; None when absent or unreadable (then nothing holds)."""
        entry = read_json_object(self.path).get(vm_id)
        if not isinstance(entry, dict):
            return None
        try:
            at = datetime.fromisoformat(str(entry["at"]))
            by = StopSource[str(entry["by"])]
        except (KeyError, ValueError):
            return None
        if at.tzinfo is None:
            return None
        return StopIntent(vm_id=vm_id, at=at, by=by)


def record_user_stop(vm_id: str, by: StopSource, store: StopIntentStore | None = None) -> None:
    """Call where a stop the user asked for is sent (never from auto-stop)."""
    (store or StopIntentStore()).record(StopIntent(vm_id=vm_id, at=datetime.now(UTC), by=by))


def holding_intent(
    intent: StopIntent | None,
    *,
    now: datetime,
    grace: timedelta,
    launched_at: datetime | None,
) -> StopIntent | None:
    """The intent that forbids starting the VM on connect, or None when it may start.

    An intent holds for `grace` after the stop, unless the VM was launched since (the person
    started it again, so a later stop is not the one they asked for).
    """
    if intent is None or now - intent.at >= grace:
        return None
    if launched_at is not None and launched_at > intent.at:
        return None
    return intent
