"""Config as one snapshot: read once, re-read when the file changes (an mtime check on a worker
tick) or when a window saves it. `current()` never touches the disk, so the GUI thread may call
it as the menu opens; the project's `.devtray.toml` is cached the same way."""

from __future__ import annotations

from pathlib import Path

from desktop.core.config import Config
from desktop.core.project import Project


class ConfigSource:
    """The latest config snapshot, and the project of `[connect] project` read with it."""

    def __init__(self, config: Config) -> None:
        raise NotImplementedError

    def current(self) -> Config:
        """The latest snapshot (no I/O)."""
        raise NotImplementedError

    def project(self) -> Project | None:
        """The `[connect] project` as last read (no I/O); None when none is set or it is broken."""
        raise NotImplementedError

    def project_error(self) -> str | None:
        """Why the configured project could not be read, when it could not."""
        raise NotImplementedError

    def poll(self) -> bool:
        """On a worker tick: re-read what changed on disk; True when the snapshot changed."""
        raise NotImplementedError

    def saved(self, config: Config) -> None:
        """A window saved the config: take its snapshot without waiting for the tick."""
        raise NotImplementedError

    def load_project(self, root: Path) -> Project:
        """Any project folder, read now (for `devtray up DIR`; never on the GUI thread)."""
        raise NotImplementedError
