"""Config as one snapshot: read once, re-read when the file changes (an mtime check on a worker
tick) or when a window saves it. `current()` and `project()` never touch the disk, so the GUI
thread may call them as the menu opens; the `[connect] project`'s `.devtray.toml` is kept the
same way."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from desktop.core.config import Config, load_config
from desktop.core.errors import DevtrayError
from desktop.core.project import PROJECT_FILE, Project, load_project

log = logging.getLogger(__name__)

WATCH_INTERVAL = 2.0  # one stat() of two small files: cheap enough to feel instant
_Stamp = tuple[int, int] | None  # (mtime_ns, size) of a file; None when it is missing


def _stamp(path: Path | None) -> _Stamp:
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class ConfigSource:
    """The latest config snapshot, and the project of `[connect] project` read with it."""

    def __init__(self, config: Config, *, reload: Callable[[Path], Config] | None = None) -> None:
        self._reload = reload or load_config
        self._lock = threading.Lock()
        self._config = config
        self._config_stamp = _stamp(config.path)
        self._project: Project | None = None
        self._project_error: DevtrayError | None = None
        self._project_stamp: _Stamp = None
        self._stop = threading.Event()
        self._read_project(config)

    def watch(self, interval: float = WATCH_INTERVAL) -> None:
        """Check the files on a thread of its own every `interval` seconds (the tray)."""
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.poll()
                except Exception:
                    log.exception("config check failed")

        threading.Thread(target=run, name="config-watch", daemon=True).start()

    def stop_watching(self) -> None:
        """At quit."""
        self._stop.set()

    def current(self) -> Config:
        """The latest snapshot (no I/O)."""
        with self._lock:
            return self._config

    def project(self) -> Project | None:
        """The `[connect] project` as last read (no I/O); None when none is set.

        Raises the error the last read met (a broken `.devtray.toml`) so actions report it."""
        with self._lock:
            if self._project_error is not None:
                raise self._project_error
            return self._project

    def poll(self) -> bool:
        """On a worker tick: re-read what changed on disk; True when the snapshot changed.

        A config that became invalid keeps the previous snapshot (the error is logged; the
        CLI and Settings… report it where the user can act)."""
        config = self.current()
        changed = False
        if config.path is not None and _stamp(config.path) != self._config_stamp:
            try:
                config = self._reload(config.path)
            except DevtrayError as exc:
                log.warning("config not re-read: %s", exc)
                self._config_stamp = _stamp(config.path)
                return False
            self.saved(config)
            return True
        if self._project_file_stamp(config) != self._project_stamp:
            self._read_project(config)
            changed = True
        return changed

    def saved(self, config: Config) -> None:
        """A window saved the config: take its snapshot without waiting for the tick."""
        with self._lock:
            self._config = config
            self._config_stamp = _stamp(config.path)
        self._read_project(config)

    def _project_file_stamp(self, config: Config) -> _Stamp:
        folder = config.connect.project
        return _stamp(Path(folder).expanduser() / PROJECT_FILE) if folder else None

    def _read_project(self, config: Config) -> None:
        stamp = self._project_file_stamp(config)
        folder = config.connect.project
        project: Project | None = None
        error: DevtrayError | None = None
        if folder:
            try:
                project = load_project(Path(folder).expanduser())
            except DevtrayError as exc:
                error = exc
        with self._lock:
            self._project, self._project_error, self._project_stamp = project, error, stamp
