"""The sync survives what breaks hand-made ones: branch switches, pulls, killed runs, a lost VM."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.core.sync_state import SyncPhase
from desktop.remote.sync.agent import AgentEngine
from desktop.remote.sync.builtin import BuiltinEngine
from tests.sshd import SshServer
from tests.sync_helpers import tree, wait_until

Make = Callable[..., tuple[BuiltinEngine, Path, Path]]

FILES = 2000
SWITCHES = 50
BRANCHES = ("main", "feature-a", "feature-b")


def git(repo: Path, *args: str) -> str:
    """Run real git in `repo`."""
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def _write_branch(repo: Path, rng: random.Random, branch: str) -> None:
    """Change, add, delete and rename a random share of the files, as one commit."""
    git(repo, "checkout", "-q", "-B", branch)
    files = sorted(p for p in repo.rglob("*.txt") if ".git" not in p.parts)
    for path in rng.sample(files, 150):
        # Same size, different bytes: exactly what rsync's quick check would skip.
        path.write_text(f"{branch} {rng.random():.12f}"[: len(path.read_text())].ljust(20))
    for path in rng.sample(files, 20):
        path.unlink(missing_ok=True)
    for i in range(20):
        new = repo / f"d{rng.randrange(20)}" / f"{branch}-{i}.txt"
        new.parent.mkdir(exist_ok=True)
        new.write_text(f"new on {branch}".ljust(20))
    (repo / f"only-{branch}").mkdir(exist_ok=True)
    (repo / f"only-{branch}" / "x.txt").write_text(branch)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", branch)


def test_random_branch_switches_and_pulls_leave_no_divergence(
    sync_pair: Make, tmp_path: Path
) -> None:
    rng = random.Random(5)
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    for i in range(FILES):
        folder = upstream / f"d{i % 20}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{i}.txt").write_text(f"file {i}".ljust(20))
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "base")
    for branch in BRANCHES[1:]:
        git(upstream, "checkout", "-q", "main")
        _write_branch(upstream, rng, branch)
    git(upstream, "checkout", "-q", "main")

    engine, local, remote = sync_pair(start=False)
    local.rmdir()
    git(tmp_path, "clone", "-q", str(upstream), str(local))
    for branch in BRANCHES[1:]:
        git(local, "branch", "-q", "--track", branch, f"origin/{branch}")
    engine.start()
    assert engine.flush(timeout=60).phase is SyncPhase.WATCHING

    divergences = 0
    reported_checkouts = 0
    started = time.monotonic()
    for step in range(SWITCHES):
        if step % 10 == 9:
            # A pull: upstream moves on, the laptop fast-forwards.
            git(upstream, "checkout", "-q", "main")
            _write_branch(upstream, rng, "main")
            git(local, "checkout", "-q", "main")
            git(local, "pull", "-q", "--ff-only")
        else:
            git(local, "checkout", "-q", rng.choice(BRANCHES))
        status = engine.flush(timeout=60)
        assert status.phase is SyncPhase.WATCHING, status
        reported_checkouts += status.checkout_files > 0
        if tree(remote) != tree(local):
            divergences += 1
    elapsed = time.monotonic() - started
    assert divergences == 0
    assert reported_checkouts > 0  # status said "N files changed by checkout"
    # Bounded so the suite stays fast; the figure is in the note.
    assert elapsed < 120, f"{SWITCHES} switches took {elapsed:.1f}s"


def _processes() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, program) for every process (Linux /proc)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        table[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmd)
    return table


def _descendants(pid: int) -> list[int]:
    table = _processes()
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, (ppid, _) in table.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _rsync_children() -> list[int]:
    """PIDs of rsync processes started by this test process."""
    return [
        pid
        for pid, (ppid, cmd) in _processes().items()
        if ppid == os.getpid() and cmd.endswith(b"rsync")
    ]


def _take_vm_away(sshd: SshServer) -> None:
    """Stop sshd and cut its open sessions, as when the VM stops or the network drops."""
    assert sshd.process is not None
    sessions = _descendants(sshd.process.pid)
    sshd.stop()
    for pid in sessions:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("engine_name", ["builtin"])
def test_an_rsync_killed_mid_run_is_repaired_by_the_next(sync_pair: Make) -> None:
    engine, local, remote = sync_pair()
    engine.flush(timeout=30)
    for i in range(40):
        (local / f"chunk{i}.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    wait_until(lambda: bool(_rsync_children()), timeout=20, what="an rsync run to start")
    for pid in _rsync_children():
        with contextlib.suppress(ProcessLookupError):  # that run may have just ended
            os.kill(pid, signal.SIGKILL)
    status = engine.flush(timeout=60)
    assert status.phase is SyncPhase.WATCHING, status
    assert tree(remote) == tree(local)


@pytest.mark.parametrize("engine_name", ["agent"])
def test_the_vm_agent_killed_mid_run_is_replaced_and_the_tree_reconciled(sync_pair: Make) -> None:
    engine, local, remote = sync_pair()
    engine.flush(timeout=30)
    assert isinstance(engine, AgentEngine)
    first = engine.agent_pid
    assert first is not None
    for i in range(40):
        (local / f"chunk{i}.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    wait_until(
        lambda: any((remote / f"chunk{i}.bin").exists() for i in range(40)),
        what="the first chunks on the VM",
    )
    os.kill(first, signal.SIGKILL)
    status = engine.flush(timeout=60)
    assert status.phase is SyncPhase.WATCHING, status
    assert engine.agent_pid not in (None, first)
    assert tree(remote) == tree(local)
    # Whatever the dead agent was writing never reached its place: only whole files did.
    assert not any((remote / ".devtray" / "incoming").iterdir())


def test_sshd_stopped_means_offline_and_a_restart_resumes(sync_pair: Make, sshd: SshServer) -> None:
    engine, local, remote = sync_pair()
    (local / "before.txt").write_text("before")
    engine.flush(timeout=30)
    _take_vm_away(sshd)
    (local / "during.txt").write_text("written while the VM was away")
    wait_until(lambda: engine.status().phase is SyncPhase.OFFLINE, what="offline status")
    status = engine.status()
    assert status.has_unsynced_changes
    assert status.reason
    sshd.start()
    wait_until(
        lambda: (remote / "during.txt").exists() and engine.status().phase is SyncPhase.WATCHING,
        timeout=20,
        what="sync resumed",
    )
    assert tree(remote) == tree(local)


def test_after_a_wake_the_whole_tree_is_reconciled(sync_pair: Make) -> None:
    engine, local, remote = sync_pair()
    (local / "app.py").write_text("laptop")
    engine.flush(timeout=30)
    # While the laptop slept, the VM's copy drifted; no event will ever say so.
    (remote / "app.py").write_text("drifted on the VM")
    engine.on_wake(3600)
    wait_until(lambda: tree(remote) == tree(local), what="whole-tree run after wake")
