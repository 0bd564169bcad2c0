"""The person's auto-stop choices (snooze, keep running tonight), shared by the tray and CLI.

`devtray autostop snooze 1h` in a terminal and the tray's Snooze button write the same small
JSON file in the user data dir, so whichever runs the policy honours both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from desktop.core.files import read_json_object, write_json_object
from desktop.core.spend_record import data_dir


@dataclass(frozen=True)
class AutostopChoices:
    """Holds on automatic stops for one VM (None = no hold)."""

    snooze_until: datetime | None = None
    keep_running_until: datetime | None = None

    def active(self, now: datetime) -> AutostopChoices:
        """The choices that still hold at `now` (expired ones dropped)."""
        return AutostopChoices(
            snooze_until=_still(self.snooze_until, now),
            keep_running_until=_still(self.keep_running_until, now),
        )


def _still(until: datetime | None, now: datetime) -> datetime | None:
    return until if until is not None and until > now else None


class AutostopStore:
    """`autostop.json`: VM id -> choices."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "autostop.json"

    def load(self, vm_id: str) -> AutostopChoices:
        """The recorded choices for one VM (none when the file is missing or unreadable)."""
        entry = self._read().get(vm_id)
        if not isinstance(entry, dict):
            return AutostopChoices()
        return AutostopChoices(
            snooze_until=_parse_time(entry.get("snooze_until")),
            keep_running_until=_parse_time(entry.get("keep_running_until")),
        )

    def save(self, vm_id: str, choices: AutostopChoices) -> None:
        """Replace one VM's choices, atomically."""
        data = self._read()
        data[vm_id] = {
            "snooze_until": _format_time(choices.snooze_until),
            "keep_running_until": _format_time(choices.keep_running_until),
        }
        write_json_object(self.path, data)

    def _read(self) -> dict[str, object]:
        return read_json_object(self.path)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _format_time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
