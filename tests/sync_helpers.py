"""Shared pieces of the sync tests: an engine against the real sshd, tree comparison, waiting."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from desktop.remote.sync.builtin import Tuning
from desktop.remote.sync.engine import SyncEngine
from desktop.remote.sync.ownership import MARKER, marker_text
from desktop.remote.sync.rules import VM_STATE_DIR
from desktop.remote.sync.target import SshTarget
from tests.sshd import SshServer

# Short idle timers so offline/online transitions show up within a test's patience.
FAST = Tuning(retry_min=0.2, retry_max=1.0, probe_interval=0.5, pull_interval=1.0)


def target_for(sshd: SshServer, remote: Path) -> SshTarget:
    """The sshd fixture as a sync target writing into `remote` (same machine, loopback)."""
    return SshTarget(host="127.0.0.1", remote_dir=str(remote), ssh_argv=("ssh", *sshd.ssh_args()))


def mark_owned(remote: Path) -> None:
    """Make `remote` a folder devtray synced to before (it holds the owned marker)."""
    (remote / MARKER).parent.mkdir(parents=True, exist_ok=True)
    (remote / MARKER).write_text(marker_text(remote.name) + "\n")


def tree(root: Path, skip: tuple[str, ...] = (".git", VM_STATE_DIR)) -> dict[str, str]:
    """Every path under `root` -> content hash (files, with the exec bit), link target, or dir."""
    result: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        dirnames[:] = [d for d in dirnames if (rel_dir / d).as_posix() not in skip]
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = (rel_dir / name).as_posix()
            try:
                result[rel] = _describe(path)
            except FileNotFoundError:
                result[rel] = "vanished while read (an rsync temp file)"
    return result


def _describe(path: Path) -> str:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return "link:" + os.readlink(path)
    if stat.S_ISDIR(info.st_mode):
        return "dir"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest + (" x" if info.st_mode & 0o100 else "")


def wait_until(check: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll `check` until it holds (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} did not hold within {timeout} s")


def second_save_in_the_same_tick_arrives(engine: SyncEngine, local: Path, far: Path) -> None:
    """A save with the size and modification time of the one before (only its content
    differs: a quick check by size and time would miss it) still reaches `far`."""
    target = local / "same.txt"
    target.write_text("aaaa")
    engine.flush(timeout=30)
    stamp = target.stat().st_mtime_ns
    target.write_text("bbbb")
    os.utime(target, ns=(stamp, stamp))
    wait_until(lambda: (far / "same.txt").read_text() == "bbbb", what="the second save")
