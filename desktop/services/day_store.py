"""Where a running day is remembered between runs of the tray: `day.json` in the state dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DayRecord:
    """What survives a tray restart: which project's day runs on which VM (state dir JSON)."""

    project_root: Path
    vm_id: str
    vm_name: str
    provider: str
    remote_path: str
    open_ide: bool = False


class DayStore:
    """Reads and writes the record of the running day (devtray's own JSON state file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> DayRecord | None:
        """The recorded day; None when none runs or the file is damaged."""
        raise NotImplementedError

    def save(self, record: DayRecord) -> None:
        """Remember the running day."""
        raise NotImplementedError

    def clear(self) -> None:
        """No day runs."""
        raise NotImplementedError
