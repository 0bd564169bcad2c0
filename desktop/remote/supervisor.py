"""The one child-process supervisor: every ssh, rsync or mutagen devtray runs goes through it.

For each child it owns: its own process group (so a stop reaches its children too), output to
a per-process log, a readiness probe, terminate -> wait -> kill on stop, restart with back-off
when it dies unless the user stopped it, a pid file so an orphan left by a crash is cleaned up
at the next start, and wake-from-sleep detection (a jump of the wall clock) that restarts
children promptly, because their connections died while the machine slept, and a child that
is stopped (SIGSTOP: alive but answering nothing) is detected within a quarter second and
restarted like one that died.

Usage::

    supervisor = Supervisor(log_dir, on_change=print)
    child = supervisor.start(ProcessSpec("tunnel-8000", ("ssh", "-N", ...), ready=port_accepts))
    child.wait_ready(10)
    ...
    supervisor.stop_all()      # or child.stop()
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import psutil

from desktop.system.logs import log_dir

log = logging.getLogger(__name__)

# Wall-clock time that passes beyond the monotonic clock (which stops while a laptop sleeps on
# Linux and macOS) or beyond the watchdog's tick (Windows, whose monotonic clock keeps running)
# for us to decide the machine slept.
SLEEP_JUMP_SECONDS = 15.0
WATCHDOG_TICK = 2.0
LOG_ROTATE_BYTES = 1_000_000
_POLL = 0.05
_WATCH_EXIT = 0.25
_ORPHAN_EXIT = 2.0
_KILL = getattr(signal, "SIGKILL", signal.SIGTERM)  # Windows has no SIGKILL: kill() is used
_SIGCONT: int | None = getattr(signal, "SIGCONT", None)
HUNG_REASON = "was stopped (hung) and no longer answered; restarted"


class ProcessState(enum.StrEnum):
    """Where a supervised child is in its life."""

    STARTING = "starting"  # spawned, readiness probe not yet passed
    READY = "ready"  # running and the probe passed
    RETRYING = "retrying"  # died (or never got ready); waiting to start again
    FAILED = "failed"  # gave up after too many failures in a row
    STOPPED = "stopped"  # stopped by the user (or never started)


@dataclass(frozen=True)
class Backoff:
    """Delays between restarts: `initial`, then doubling up to `maximum`."""

    initial: float = 0.25
    factor: float = 2.0
    maximum: float = 30.0

    def delay(self, failures: int) -> float:
        """The wait before attempt number `failures + 1` (failures >= 1)."""
        return float(min(self.maximum, self.initial * self.factor ** max(0, failures - 1)))


@dataclass(frozen=True)
class ProcessSpec:
    """What to run and how to tell it works.

    `ready` is probed every 50 ms after the spawn until it returns True (no probe: ready once
    spawned). `give_up_after` failures in a row without reaching ready make the child FAILED
    (None: retry for ever). `name` names the log file and the pid file, so keep it unique.
    """

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    ready: Callable[[], bool] | None = None
    ready_timeout: float = 20.0
    backoff: Backoff = field(default_factory=Backoff)
    give_up_after: int | None = None
    stop_timeout: float = 3.0
    # Turns the child's last log line into a better reason when it failed (runs on the
    # supervisor's thread, so it may look around: e.g. who holds a port).
    explain_failure: Callable[[str], str] | None = None


@dataclass(frozen=True)
class ProcessStatus:
    """A snapshot of one child, for the UI and the CLI."""

    name: str
    state: ProcessState
    pid: int | None = None
    restarts: int = 0
    failures: int = 0
    reason: str | None = None
    log_path: Path | None = None
    retry_at: float | None = None  # monotonic time of the next attempt while RETRYING


StatusCallback = Callable[[ProcessStatus], None]


def _process_group_kwargs() -> dict[str, object]:
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Send `sig` to the child's whole process group (the child itself on Windows)."""
    if sys.platform == "win32":
        if sig == signal.SIGTERM:
            process.terminate()
        else:
            process.kill()
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _is_stopped(pid: int) -> bool:
    """True when `pid` is stopped (SIGSTOP, SIGTSTP, a debugger): alive, but it answers no
    connection, so a tunnel or shared connection it serves only looks up."""
    try:
        status = psutil.Process(pid).status()
    except psutil.Error:
        return False
    return status in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP)


def _group_exists(pgid: int) -> bool:
    """True while a live (non-zombie) process is in group `pgid`.

    Zombies count as members for killpg(pgid, 0) until something reaps them, and in some
    containers nothing does; they hold no resources, so they are not waited for.
    """
    for candidate in psutil.process_iter(["status"]):
        with contextlib.suppress(ProcessLookupError, psutil.Error):
            if (
                os.getpgid(candidate.pid) == pgid
                and candidate.info["status"] != psutil.STATUS_ZOMBIE
            ):
                return True
    return False


def _reap_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """Wait up to `grace` s for what the leader left in its group to exit, then kill the rest.

    The leader exiting on SIGTERM does not mean its children have: without this, a slow
    grandchild (ssh's ProxyCommand, rsync's remote shell) outlives a stop.
    """
    if sys.platform == "win32":
        return
    deadline = time.monotonic() + grace
    while _group_exists(process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _group_exists(process.pid):
        _signal_group(process, _KILL)


def default_log_dir() -> Path:
    """Where children's logs and pid files live: `children/` in devtray's log dir."""
    return log_dir() / "children"


def _rotate(path: Path) -> None:
    """Keep one previous log once a child's log passes LOG_ROTATE_BYTES."""
    with contextlib.suppress(OSError):
        if path.stat().st_size > LOG_ROTATE_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))


def _log_tail(path: Path, offset: int, limit: int = 4000) -> str | None:
    """The last non-empty line written to `path` after `offset`."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(offset, path.stat().st_size - limit))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else None


class Supervised:
    """One supervised child: its status, and stop/restart. Made by `Supervisor.start`."""

    def __init__(self, spec: ProcessSpec, log_dir: Path, notify: StatusCallback) -> None:
        self.spec = spec
        self.log_path = log_dir / f"{spec.name}.log"
        # One pid file per owner, so the tray and a CLI run never overwrite each other's.
        self.pid_path = log_dir / f"{spec.name}.{os.getpid()}.pid"
        self._notify = notify
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._kick = threading.Event()  # restart now (wake from sleep, user asked)
        self._process: subprocess.Popen[bytes] | None = None
        self._status = ProcessStatus(spec.name, ProcessState.STOPPED, log_path=self.log_path)
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"supervise-{spec.name}", daemon=True
        )

    # -- public --------------------------------------------------------------------------------

    @property
    def status(self) -> ProcessStatus:
        """The latest status snapshot."""
        with self._lock:
            return self._status

    @property
    def pid(self) -> int | None:
        """The pid of the running child, if any."""
        return self.status.pid

    def wait_ready(self, timeout: float) -> bool:
        """Block until the child is READY (True) or `timeout` passes (False)."""
        return self._ready.wait(timeout)

    def restart(self) -> None:
        """Restart the child now (and forget past failures): after wake-up, or on request."""
        self._kick.set()

    def stop(self) -> None:
        """Stop for good: terminate the process group, wait, kill; no restart follows."""
        self._stop.set()
        self._kick.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(self.spec.stop_timeout + 5.0)
        self._terminate()

    # -- the monitor thread ---------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def _set(self, **changes: object) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]
            status = self._status
        if status.state is ProcessState.READY:
            self._ready.set()
        else:
            self._ready.clear()
        try:
            self._notify(status)
        except Exception:
            log.exception("status callback failed for %s", self.spec.name)

    def _run(self) -> None:
        failures = 0
        restarts = 0
        while not self._stop.is_set():
            self._kick.clear()
            reason = self._run_once(restarts, failures)
            if self._stop.is_set():
                break
            if reason is None:  # it got ready, then went away: start again promptly
                failures = 1
            else:
                failures += 1
            if self._kick.is_set():
                failures = 0
            restarts += 1
            limit = self.spec.give_up_after
            if limit is not None and failures >= limit:
                self._set(state=ProcessState.FAILED, pid=None, failures=failures, retry_at=None)
                return
            delay = 0.0 if failures == 0 else self.spec.backoff.delay(failures)
            self._set(
                state=ProcessState.RETRYING,
                pid=None,
                failures=failures,
                retry_at=time.monotonic() + delay,
            )
            self._kick.wait(delay)
        self._set(state=ProcessState.STOPPED, pid=None, retry_at=None)

    def _run_once(self, restarts: int, failures: int) -> str | None:
        """Run the child until it exits or is stopped; the reason it failed, None if ready."""
        try:
            process, offset = self._spawn()
        except OSError as exc:
            reason = f"cannot run {self.spec.argv[0]}: {exc.strerror or exc}"
            self._set(reason=reason)
            return reason
        self._set(
            state=ProcessState.STARTING, pid=process.pid, restarts=restarts, failures=failures
        )
        got_ready = self._await_ready(process)
        hung = False
        if got_ready:
            self._set(state=ProcessState.READY, reason=None, failures=0)
            while not self._kick.is_set():
                try:
                    process.wait(_WATCH_EXIT)  # wakes the moment the child exits
                    break
                except subprocess.TimeoutExpired:
                    if _is_stopped(process.pid):
                        hung = True
                        break
        hung = hung or (process.poll() is None and _is_stopped(process.pid))
        self._terminate()
        if self._stop.is_set():
            return None
        code = process.returncode
        tail = _log_tail(self.log_path, offset)
        if hung:
            reason = HUNG_REASON
            log.warning("%s was stopped (hung); restarting it", self.spec.name)
            self._set(reason=reason)
            return None if got_ready else reason
        if got_ready:
            reason = f"exited with code {code}" + (f": {tail}" if tail else "")
            self._set(reason=reason)
            return None
        reason = tail or (f"exited with code {code}" if code is not None else "not ready in time")
        if self.spec.explain_failure is not None:
            reason = self.spec.explain_failure(reason)
        self._set(reason=reason)
        return reason

    def _spawn(self) -> tuple[subprocess.Popen[bytes], int]:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        _rotate(self.log_path)
        env = None if self.spec.env is None else {**os.environ, **self.spec.env}
        with self.log_path.open("ab") as log_file:
            offset = log_file.tell()
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log_file.write(f"--- {stamp} starting {self.spec.name}\n".encode())
            log_file.flush()
            process = subprocess.Popen(
                list(self.spec.argv),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=self.spec.cwd,
                env=env,
                **_process_group_kwargs(),  # type: ignore[call-overload]
            )
        with self._lock:
            self._process = process
        _write_pid_file(self.pid_path, process.pid)
        return process, offset

    def _await_ready(self, process: subprocess.Popen[bytes]) -> bool:
        probe = self.spec.ready
        deadline = time.monotonic() + self.spec.ready_timeout
        while process.poll() is None and not self._kick.is_set():
            if _is_stopped(process.pid):
                return False
            if probe is None:
                return True
            try:
                if probe():
                    return process.poll() is None
            except Exception:
                log.exception("readiness probe of %s failed", self.spec.name)
            if time.monotonic() >= deadline:
                return False
            self._kick.wait(_POLL)
        return False

    def _terminate(self) -> None:
        with self._lock:
            process = self._process
            self._process = None
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            if _SIGCONT is not None:  # a stopped (hung) member handles SIGTERM only once woken
                _signal_group(process, _SIGCONT)
            try:
                process.wait(self.spec.stop_timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process, _KILL)
                process.wait(5.0)
            _reap_group(process, self.spec.stop_timeout)
        else:
            # The leader is gone; anything it left in its group goes too.
            _signal_group(process, _KILL)
        with contextlib.suppress(FileNotFoundError):
            self.pid_path.unlink()


def _started_at(pid: int) -> float:
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return 0.0


def _is_running(pid: int, started_at: float) -> bool:
    """True if `pid` is alive and is the same process that started at `started_at`."""
    return _started_at(pid) != 0.0 and abs(_started_at(pid) - started_at) < 0.01


def _wait_gone(processes: list[psutil.Process], timeout: float) -> None:
    """Wait until each process has exited (a zombie counts: it holds no socket), without
    reaping anyone else's child."""
    deadline = time.monotonic() + timeout
    for process in processes:
        while time.monotonic() < deadline:
            try:
                if process.status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.Error:
                break
            time.sleep(0.01)


def _write_pid_file(path: Path, pid: int) -> None:
    # The owner (this devtray) is recorded too: only a dead owner's children are orphans.
    owner = os.getpid()
    path.write_text(f"{pid} {_started_at(pid)} {owner} {_started_at(owner)}\n", encoding="ascii")


def reap_orphans(log_dir: Path) -> list[int]:
    """Kill children that a devtray which is no longer running left behind; returns their pids.

    A pid file is trusted only if a process with that pid and the same start time exists, so a
    recycled pid never gets a stranger killed; children of a devtray still running (the tray
    while the CLI starts) are left alone.
    """
    killed = []
    for pid_file in sorted(log_dir.glob("*.pid")):
        try:
            pid, created, owner, owner_created = pid_file.read_text(encoding="ascii").split()
            if _is_running(int(owner), float(owner_created)):
                continue
            if _is_running(int(pid), float(created)):
                process = psutil.Process(int(pid))
                members = [*process.children(recursive=True), process]
                for member in members:
                    with contextlib.suppress(psutil.Error):
                        member.kill()
                _wait_gone(members, _ORPHAN_EXIT)  # before the caller binds their ports
                killed.append(int(pid))
        except (OSError, ValueError, psutil.Error):
            pass
        with contextlib.suppress(FileNotFoundError):
            pid_file.unlink()
    return killed


class Supervisor:
    """Owns every supervised child and the watchdog that notices the machine waking up.

    `on_change` receives each child's new status (from a background thread: a UI must hop to
    its own thread). `on_wake` is called after a sleep was detected and children restarted.
    `wall_clock` and `monotonic_clock` exist so tests can simulate a sleep.
    """

    def __init__(
        self,
        log_dir: Path,
        *,
        on_change: StatusCallback | None = None,
        on_wake: Callable[[float], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
        monotonic_clock: Callable[[], float] = time.monotonic,
        watchdog_tick: float = WATCHDOG_TICK,
    ) -> None:
        self.log_dir = log_dir
        self._on_change = on_change
        self._on_wake = on_wake
        self._wall = wall_clock
        self._mono = monotonic_clock
        self._tick = watchdog_tick
        self._children: dict[str, Supervised] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._last = (self._wall(), self._mono())
        log_dir.mkdir(parents=True, exist_ok=True)
        for pid in reap_orphans(log_dir):
            log.warning("killed an orphaned child (pid %s) left by an earlier run", pid)

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    @property
    def children(self) -> Mapping[str, Supervised]:
        """The supervised children by name."""
        with self._lock:
            return MappingProxyType(dict(self._children))

    def statuses(self) -> list[ProcessStatus]:
        """Every child's current status."""
        return [child.status for child in self.children.values()]

    def start(self, spec: ProcessSpec) -> Supervised:
        """Start supervising `spec` (a child of the same name is stopped first)."""
        with self._lock:
            previous = self._children.pop(spec.name, None)
        if previous is not None:
            previous.stop()
        child = Supervised(spec, self.log_dir, self._notify)
        with self._lock:
            self._children[spec.name] = child
        child.start()
        self._ensure_watchdog()
        return child

    def stop(self, name: str) -> None:
        """Stop one child for good (the user asked)."""
        with self._lock:
            child = self._children.pop(name, None)
        if child is not None:
            child.stop()

    def stop_all(self) -> None:
        """Stop every child (at quit); no process is left behind."""
        self._closed.set()
        with self._lock:
            children = list(self._children.values())
            self._children.clear()
        for child in children:
            child.stop()

    def check_clock(self) -> float | None:
        """Detect a sleep since the last check; restart children and return its length if so."""
        wall, mono = self._wall(), self._mono()
        last_wall, last_mono = self._last
        self._last = (wall, mono)
        expected = max(self._tick, 0.0)
        gap = max((wall - last_wall) - (mono - last_mono), (mono - last_mono) - expected)
        if gap < SLEEP_JUMP_SECONDS:
            return None
        log.info("the machine slept for about %.0f s; restarting children", gap)
        for child in self.children.values():
            child.restart()
        if self._on_wake is not None:
            self._on_wake(gap)
        return gap

    def _notify(self, status: ProcessStatus) -> None:
        if self._on_change is not None:
            self._on_change(status)

    def _ensure_watchdog(self) -> None:
        if self._watchdog is None or not self._watchdog.is_alive():
            self._closed.clear()
            self._last = (self._wall(), self._mono())
            self._watchdog = threading.Thread(
                target=self._watch, name="supervisor-watchdog", daemon=True
            )
            self._watchdog.start()

    def _watch(self) -> None:
        while not self._closed.wait(self._tick):
            self.check_clock()
