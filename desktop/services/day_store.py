"""Where a running day is remembered between runs of the tray: `day.json` in the data dir."""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from pathlib import Path

from desktop.core.files import read_json_object, write_json_object
from desktop.core.spend_record import data_dir

DAY_FILE = "day.json"


@dataclass(frozen=True)
class DayRecord:
    """What survives a tray restart: which project's day runs on which VM."""

    project_root: Path
    vm_id: str
    vm_name: str
    provider: str
    remote_path: str
    open_ide: bool = False


class DayStore:
    """Reads and writes the record of the running day (devtray's own JSON state file)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / DAY_FILE

    def load(self) -> DayRecord | None:
        """The recorded day; None when none runs or the file is damaged (it is only a hint:
        the worst a lost record costs is one click on Start my day)."""
        data = read_json_object(self.path)
        texts = ("project_root", "vm_id", "vm_name", "provider", "remote_path")
        if not all(isinstance(data.get(key), str) and data[key] for key in texts):
            return None
        return DayRecord(
            project_root=Path(data["project_root"]),
            vm_id=data["vm_id"],
            vm_name=data["vm_name"],
            provider=data["provider"],
            remote_path=data["remote_path"],
            open_ide=data.get("open_ide") is True,
        )

    def save(self, record: DayRecord) -> None:
        """Remember the running day."""
        data = asdict(record) | {"project_root": str(record.project_root)}
        write_json_object(self.path, data)

    def clear(self) -> None:
        """No day runs."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
