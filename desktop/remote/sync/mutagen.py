"""The Mutagen engine: Mutagen's own sync sessions, driven through its CLI, in our words.

devtray runs Mutagen's daemon as a supervised child (`mutagen daemon run`) with a private data
directory, so it never meets a daemon or sessions the user runs for other things, and a daemon
orphaned by a crash is reaped at the next start. Sessions carry a label naming the project;
one pushes the project (one-way-replica by default, two-way-resolved on request), one per pull
folder brings results back (one-way-safe: nothing on the laptop is deleted). Status is read from
`mutagen sync list --template '{{json .}}'` and mapped onto SyncStatus.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import subprocess
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.core.errors import BadConfig, DevtrayError, Offline
from desktop.core.project import Project
from desktop.core.sync_state import SyncPhase, SyncStatus
from desktop.remote.supervisor import Backoff, ProcessSpec, Supervised, Supervisor
from desktop.remote.sync import ownership, rules
from desktop.remote.sync.engine import StatusListener, StatusListeners
from desktop.remote.sync.target import SshTarget

log = logging.getLogger(__name__)

ENGINE_NAME = "mutagen"
MIN_VERSION = (0, 17, 0)
LABEL = "devtray-project"
COMMAND_TIMEOUT = 60.0
POLL_INTERVAL = 1.0
# Session states in which Mutagen is moving files (everything but watching and the failures).
_HALTED = re.compile(r"^halted-on-")
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """`0.18.1` (from `mutagen version`) as a tuple, or None."""
    match = _VERSION.search(text)
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def status_from_sessions(sessions: Sequence[dict[str, Any]]) -> SyncStatus:
    """Map the sessions of `mutagen sync list --template '{{json .}}'` onto one SyncStatus.

    The worst session decides: paused, then halted (error), then disconnected (offline), then
    any session still moving files (syncing); all watching means watching.
    """
    if not sessions:
        return SyncStatus(ENGINE_NAME, SyncPhase.ERROR, reason="no Mutagen session is running")
    conflicts = tuple(
        str(conflict.get("root", "?"))
        for session in sessions
        for conflict in session.get("conflicts") or ()
    )
    problems = [
        f"{problem.get('path', '?')}: {problem.get('error', '?')}"
        for session in sessions
        for side in ("alpha", "beta")
        for kind in ("scanProblems", "transitionProblems")
        for problem in (session.get(side) or {}).get(kind) or ()
    ]
    if any(session.get("paused") for session in sessions):
        return SyncStatus(ENGINE_NAME, SyncPhase.PAUSED, conflicts=conflicts)
    for session in sessions:
        state = str(session.get("status", "disconnected"))
        if _HALTED.match(state):
            reason = "Mutagen halted: " + state.removeprefix("halted-on-").replace("-", " ")
            return SyncStatus(ENGINE_NAME, SyncPhase.ERROR, reason=reason, conflicts=conflicts)
    for session in sessions:
        connected = all((session.get(side) or {}).get("connected") for side in ("alpha", "beta"))
        if session.get("status", "disconnected") == "disconnected" or not connected:
            reason = session.get("lastError") or "the VM is not connected"
            return SyncStatus(ENGINE_NAME, SyncPhase.OFFLINE, reason=reason, conflicts=conflicts)
    moving = [s for s in sessions if s.get("status") != "watching"]
    if moving:
        staged = sum(
            int(((s.get(side) or {}).get("stagingProgress") or {}).get("expectedFiles", 0))
            for s in moving
            for side in ("alpha", "beta")
        )
        return SyncStatus(ENGINE_NAME, SyncPhase.SYNCING, syncing_files=staged, conflicts=conflicts)
    return SyncStatus(
        ENGINE_NAME,
        SyncPhase.WATCHING,
        conflicts=conflicts,
        reason=problems[0] if problems else None,
    )


def own_cycles(previous: int, current: int, *, forced: bool) -> int:
    """Sync cycles Mutagen completed between two readings of `successfulCycles`, as activity.

    0 when devtray forced them (a flush runs a cycle whether or not anything changed), at
    the first reading (-1 before it), or when the count went back (Mutagen restarts it at 0
    on every reconnection). A cycle can also follow a watched change to an ignored path: an
    over-count, but of work in the project all the same.
    """
    if forced or previous < 0 or current < previous:
        return 0
    return current - previous


def _run(
    argv: Sequence[str], timeout: float, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


class MutagenEngine:
    """Mutagen sessions for one project, behind the SyncEngine interface."""

    name = ENGINE_NAME

    def __init__(
        self,
        project: Project,
        target: SshTarget,
        *,
        mutagen: Path,
        data_dir: Path,
        supervisor: Supervisor,
        poll_interval: float = POLL_INTERVAL,
        adopt: bool = False,
    ) -> None:
        self.project = project
        self._adopt = adopt
        self.target = target
        self.mutagen = str(mutagen)
        self.data_dir = data_dir
        self._supervisor = supervisor
        self._poll_interval = poll_interval
        self._env = {
            **os.environ,
            "MUTAGEN_DATA_DIRECTORY": str(data_dir),
            # Never let a CLI call start a second, unsupervised daemon.
            "MUTAGEN_DISABLE_AUTOSTART": "1",
        }
        digest = hashlib.sha256(str(project.root).encode("utf-8")).hexdigest()[:12]
        self.label = f"{LABEL}={digest}"
        self._session_prefix = f"devtray-{digest}"
        self._daemon: Supervised | None = None
        self._listeners = StatusListeners()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._status = SyncStatus(ENGINE_NAME, SyncPhase.STOPPED)
        self._last_cycles = -1
        # Mutagen's status counts sync cycles, not files: cycles it ran on its own (a watched
        # change) are the sync activity; those devtray forced with a flush are not.
        self._changes_synced = 0
        self._flushing = 0

    # -- commands -----------------------------------------------------------------------------

    def _mutagen(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> str:
        try:
            result = _run([self.mutagen, *args], timeout, self._env)
        except subprocess.TimeoutExpired:
            what = " ".join(args[:2])
            raise DevtrayError(f"`mutagen {what}` did not finish in {timeout:g}s") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise DevtrayError(
                f"`mutagen {' '.join(args[:2])}` failed: {detail[-1] if detail else 'no output'}"
            )
        return result.stdout

    def check_version(self) -> tuple[int, int, int]:
        """The installed Mutagen's version; refuses one older than MIN_VERSION."""
        text = self._mutagen("version")
        version = parse_version(text)
        if version is None or version < MIN_VERSION:
            wanted = ".".join(map(str, MIN_VERSION))
            raise BadConfig(
                f"Mutagen {text.strip() or '?'} is too old for devtray (needs {wanted} or newer)",
                hint='Update Mutagen, or set [sync] engine = "builtin" in .devtray.toml.',
            )
        return version

    def session_specs(self) -> list[list[str]]:
        """The `mutagen sync create` arguments for this project's sessions."""
        ignores: list[str] = []
        for pattern in self.project.ignore:
            ignores += ["--ignore", pattern]
        pull = rules.pull_folders(self.project)
        for folder in pull:
            ignores += ["--ignore", f"/{folder}"]
        # devtray's own folder on the VM (the owned marker): a replica must never delete it.
        ignores += ["--ignore", f"/{rules.VM_STATE_DIR}"]
        vcs = [] if self.project.sync_git else ["--ignore-vcs"]
        common = ["--label", self.label, "--symlink-mode", "posix-raw"]
        push = [
            "--name",
            f"{self._session_prefix}-push",
            *common,
            "--sync-mode",
            self.project.sync.mode,
            *vcs,
            *ignores,
            str(self.project.root),
            self.target.remote_spec().rstrip("/"),
        ]
        specs = [push]
        for index, folder in enumerate(pull):
            specs.append(
                [
                    "--name",
                    f"{self._session_prefix}-pull-{index}",
                    *common,
                    "--sync-mode",
                    "one-way-safe",
                    self.target.remote_spec(folder),
                    str(self.project.root / folder),
                ]
            )
        return specs

    # -- the SyncEngine interface -------------------------------------------------------------

    def start(self) -> None:
        """Check the version, run the private daemon, recreate the sessions, start polling."""
        self._publish(SyncStatus(ENGINE_NAME, SyncPhase.STARTING))
        self.check_version()
        self._own()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # A daemon orphaned by a crash still owns the private data directory: end it first.
        with contextlib.suppress(DevtrayError):
            self._mutagen("daemon", "stop", timeout=15)
        self._daemon = self._supervisor.start(
            ProcessSpec(
                name=f"{self._session_prefix}-daemon",
                argv=(self.mutagen, "daemon", "run"),
                env={k: self._env[k] for k in ("MUTAGEN_DATA_DIRECTORY",)},
                ready=self._daemon_answers,
                backoff=Backoff(initial=0.5, maximum=10.0),
            )
        )
        if not self._daemon.wait_ready(COMMAND_TIMEOUT):
            raise DevtrayError("Mutagen's daemon did not start", hint=str(self._daemon.log_path))
        # Sessions left by an earlier run (a crash) are replaced, not duplicated.
        self._mutagen("sync", "terminate", "--label-selector", self.label)
        for spec in self.session_specs():
            self._mutagen("sync", "create", *spec)
        self._poller = threading.Thread(target=self._poll, name="mutagen-status", daemon=True)
        self._poller.start()

    def _own(self) -> None:
        """The owned-folder check, over the same ssh and config Mutagen's sessions use."""
        try:
            claim = ownership.claim(
                [*self.target.ssh_argv, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"],
                self.target.host,
                self.target.remote_dir,
                self.project.name,
                adopt=self._adopt,
            )
        except ownership.Unreachable as exc:
            raise Offline(f"cannot check the sync folder on {self.target.host}: {exc}") from None
        if claim.moved:
            log.warning("adopted %s: moved %s to %s", claim.folder, claim.moved, claim.trash)

    def _daemon_answers(self) -> bool:
        try:
            return _run([self.mutagen, "sync", "list"], 5.0, self._env).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def stop(self) -> None:
        """Terminate the sessions and stop the daemon."""
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=10)
        if self._daemon is not None:
            try:
                self._mutagen("sync", "terminate", "--label-selector", self.label, timeout=15)
            except DevtrayError as exc:
                log.warning("could not terminate Mutagen sessions: %s", exc)
            self._supervisor.stop(self._daemon.spec.name)
            self._daemon = None
        self._publish(SyncStatus(ENGINE_NAME, SyncPhase.STOPPED))

    def status(self) -> SyncStatus:
        """The latest snapshot."""
        with self._lock:
            return self._status

    def add_listener(self, listener: StatusListener) -> None:
        """Call `listener` with each new status."""
        self._listeners.add(listener)

    def pause(self) -> SyncStatus:
        """`mutagen sync pause` for the project's sessions."""
        self._mutagen("sync", "pause", "--label-selector", self.label)
        return self.refresh()

    def resume(self) -> SyncStatus:
        """`mutagen sync resume` (also what a wake from sleep calls)."""
        self._mutagen("sync", "resume", "--label-selector", self.label)
        return self.refresh()

    def flush(self, timeout: float) -> SyncStatus:
        """`mutagen sync flush`: returns once a full cycle has run (or `timeout` passed)."""
        with self._lock:
            self._flushing += 1
        try:
            self._mutagen("sync", "flush", "--label-selector", self.label, timeout=timeout)
        except DevtrayError as exc:
            log.info("flush did not complete: %s", exc)
        try:
            return self.refresh()
        finally:
            with self._lock:
                self._flushing -= 1

    # -- status -------------------------------------------------------------------------------

    def refresh(self) -> SyncStatus:
        """Read the sessions now and publish their status."""
        try:
            text = self._mutagen(
                "sync", "list", "--label-selector", self.label, "--template", "{{json .}}"
            )
            sessions = json.loads(text or "[]")
            status = status_from_sessions(sessions if isinstance(sessions, list) else [])
            cycles: int | None = sum(int(s.get("successfulCycles", 0)) for s in sessions)
        except (DevtrayError, ValueError) as exc:
            status = SyncStatus(ENGINE_NAME, SyncPhase.ERROR, reason=str(exc))
            cycles = None
        last = self.status().last_synced_at
        # The poller and flush() both refresh: each cycle is accounted for once, under the lock.
        with self._lock:
            if cycles is None:
                cycles = self._last_cycles
            if status.phase is SyncPhase.WATCHING and cycles != self._last_cycles:
                last = datetime.now(UTC)
            self._changes_synced += own_cycles(self._last_cycles, cycles, forced=self._flushing > 0)
            changes_synced = self._changes_synced
            self._last_cycles = cycles
        status = dataclasses.replace(status, last_synced_at=last, changes_synced=changes_synced)
        self._publish(status)
        return status

    def _poll(self) -> None:
        while not self._stop.wait(self._poll_interval):
            self.refresh()

    def _publish(self, status: SyncStatus) -> None:
        with self._lock:
            changed = status != self._status
            self._status = status
        if changed:
            self._listeners.tell(status)

    def on_wake(self, seconds: float) -> None:
        """After the laptop slept: Mutagen's connections are dead; resume them now."""
        log.info("woke after %.0f s: resuming Mutagen sessions", seconds)
        try:
            self.resume()
        except DevtrayError as exc:
            log.warning("resume after wake failed: %s", exc)
