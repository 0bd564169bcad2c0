"""The child-process supervisor, with real child processes (small Python programs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from desktop.remote.supervisor import (
    Backoff,
    ProcessSpec,
    ProcessState,
    ProcessStatus,
    Supervisor,
    reap_orphans,
)
from tests.sshd import free_port, wait_for_port

FAST = Backoff(initial=0.05, factor=2.0, maximum=0.2)


def _listener(port: int, delay: float = 0.0) -> tuple[str, ...]:
    """A child that listens on `port` after `delay` seconds, and a grandchild that sleeps."""
    code = (
        "import socket, subprocess, sys, time\n"
        f"time.sleep({delay})\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('127.0.0.1', {port})); s.listen()\n"
        "print('listening', flush=True)\n"
        "while True: s.accept()[0].close()\n"
    )
    return (sys.executable, "-c", code)


def _port_accepts(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            wait_for_port(port, timeout=0.05)
        except TimeoutError:
            return False
        return True

    return probe


def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def _group_members(pid: int) -> list[psutil.Process]:
    """Live processes in process group `pid` (zombies waiting for init to reap them are dead)."""
    return [p for p in psutil.process_iter(["status"]) if _pgid(p.pid) == pid and _alive(p)]


def _alive(process: psutil.Process) -> bool:
    return bool(process.info["status"] != psutil.STATUS_ZOMBIE)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    sup = Supervisor(tmp_path / "children")
    try:
        yield sup
    finally:
        sup.stop_all()


def test_ready_only_once_the_probe_passes(supervisor: Supervisor) -> None:
    port = free_port()
    seen: list[ProcessState] = []
    supervisor._on_change = lambda status: seen.append(status.state)
    child = supervisor.start(
        ProcessSpec("late", _listener(port, delay=0.3), ready=_port_accepts(port))
    )
    assert child.status.state is not ProcessState.READY
    assert child.wait_ready(10)
    assert seen[0] is ProcessState.STARTING
    assert seen[-1] is ProcessState.READY
    assert "listening" in child.log_path.read_text()


def test_killed_child_is_restarted_with_a_new_pid(supervisor: Supervisor) -> None:
    port = free_port()
    spec = ProcessSpec("crashy", _listener(port), ready=_port_accepts(port), backoff=FAST)
    child = supervisor.start(spec)
    assert child.wait_ready(10)
    first = child.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    _eventually(lambda: child.status.state is ProcessState.READY and child.pid != first)
    assert child.status.restarts == 1
    assert not psutil.pid_exists(first) or psutil.Process(first).status() == "zombie"


def test_stop_ends_the_whole_process_group_and_does_not_restart(supervisor: Supervisor) -> None:
    port = free_port()
    child = supervisor.start(ProcessSpec("group", _listener(port), ready=_port_accepts(port)))
    assert child.wait_ready(10)
    pid = child.pid
    assert pid is not None
    _eventually(lambda: len(_group_members(pid)) == 2)  # the child and its sleeping grandchild
    supervisor.stop("group")
    assert child.status.state is ProcessState.STOPPED
    assert _group_members(pid) == []
    time.sleep(0.3)
    assert child.status.state is ProcessState.STOPPED
    assert not list(supervisor.log_dir.glob("*.pid"))


def test_stop_kills_a_child_that_ignores_sigterm(supervisor: Supervisor) -> None:
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('stubborn', flush=True)\n"
        "time.sleep(60)\n"
    )
    spec = ProcessSpec("stubborn", (sys.executable, "-c", code), stop_timeout=0.5)
    child = supervisor.start(spec)
    assert child.wait_ready(10)
    pid = child.pid
    assert pid is not None
    _eventually(lambda: "stubborn" in child.log_path.read_text())
    started = time.monotonic()
    child.stop()
    assert time.monotonic() - started < 5
    assert _group_members(pid) == []


def test_gives_up_after_repeated_failures_with_the_childs_reason(supervisor: Supervisor) -> None:
    code = "import sys; print('bind: Address already in use', file=sys.stderr); sys.exit(3)"
    spec = ProcessSpec(
        "doomed", (sys.executable, "-c", code), ready=lambda: False, backoff=FAST, give_up_after=3
    )
    child = supervisor.start(spec)
    _eventually(lambda: child.status.state is ProcessState.FAILED)
    status = child.status
    assert status.failures == 3
    assert status.reason == "bind: Address already in use"


def test_missing_program_is_reported_not_raised(supervisor: Supervisor) -> None:
    spec = ProcessSpec("ghost", ("/nonexistent/devtray-ghost",), backoff=FAST, give_up_after=2)
    child = supervisor.start(spec)
    _eventually(lambda: child.status.state is ProcessState.FAILED)
    assert "cannot run /nonexistent/devtray-ghost" in (child.status.reason or "")


def test_retrying_backs_off(supervisor: Supervisor) -> None:
    seen: list[tuple[float, ProcessStatus]] = []
    supervisor._on_change = lambda status: seen.append((time.monotonic(), status))
    backoff = Backoff(initial=0.1, factor=2.0, maximum=0.4)
    argv = (sys.executable, "-c", "raise SystemExit(1)")
    supervisor.start(ProcessSpec("flaky", argv, ready=lambda: False, backoff=backoff))
    _eventually(lambda: sum(s.state is ProcessState.RETRYING for _, s in seen) >= 4)
    delays = [s.retry_at - at for at, s in seen if s.state is ProcessState.RETRYING and s.retry_at]
    assert delays[:4] == pytest.approx([0.1, 0.2, 0.4, 0.4], abs=0.05)


def test_a_jump_of_the_wall_clock_restarts_children_promptly(tmp_path: Path) -> None:
    now = [1000.0]
    woke: list[float] = []
    port = free_port()
    with Supervisor(
        tmp_path / "children",
        wall_clock=lambda: now[0],
        on_wake=woke.append,
        watchdog_tick=3600,  # the test drives check_clock itself
    ) as supervisor:
        child = supervisor.start(
            ProcessSpec("sleepy", _listener(port), ready=_port_accepts(port), backoff=FAST)
        )
        assert child.wait_ready(10)
        before = child.pid
        assert supervisor.check_clock() is None
        now[0] += 3600  # an hour passes on the wall clock, none on the monotonic clock
        gap = supervisor.check_clock()
        assert gap is not None and gap > 3500
        assert woke == [gap]
        _eventually(lambda: child.status.state is ProcessState.READY and child.pid != before)
        assert child.status.failures == 0


def test_orphans_of_a_dead_devtray_are_reaped_and_a_live_ones_kept(tmp_path: Path) -> None:
    log_dir = tmp_path / "children"
    log_dir.mkdir()
    dead_owner = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_owner.wait()
    orphan = subprocess.Popen(["sleep", "60"], start_new_session=True)
    kept = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        created = psutil.Process(orphan.pid).create_time()
        (log_dir / "old.1.pid").write_text(f"{orphan.pid} {created} {dead_owner.pid} 1.0\n")
        me = psutil.Process(os.getpid())
        (log_dir / "live.2.pid").write_text(
            f"{kept.pid} {psutil.Process(kept.pid).create_time()} {me.pid} {me.create_time()}\n"
        )
        assert reap_orphans(log_dir) == [orphan.pid]
        assert orphan.wait(5) == -signal.SIGKILL
        assert kept.poll() is None
    finally:
        kept.kill()
        kept.wait()
        orphan.kill()
        orphan.wait()
