"""What the tray has offered once on a first run, remembered in devtray's own state file
(`first-run.json` in the data dir) — never in the user's config.toml."""

from __future__ import annotations

from pathlib import Path

from desktop.core.files import read_json_object, write_json_object
from desktop.core.spend_record import data_dir

FIRST_RUN_FILE = "first-run.json"
_DAY_SETUP = "day_setup_offered"


class FirstRunStore:
    """Reads and writes the first-run offers already made."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / FIRST_RUN_FILE

    def day_setup_offered(self) -> bool:
        """True once "Set up your day" has opened by itself (a damaged file counts as not
        offered: the worst that costs is one more offer)."""
        return read_json_object(self.path).get(_DAY_SETUP) is True

    def remember_day_setup_offered(self) -> None:
        """ "Set up your day" opened by itself: not again, whether it was saved or closed."""
        write_json_object(self.path, read_json_object(self.path) | {_DAY_SETUP: True})
