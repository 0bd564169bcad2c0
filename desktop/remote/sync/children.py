"""Starting and ending sync's child processes (rsync, ssh) so none outlives the engine.

Each child gets its own process group, so ending it also ends what it started (rsync's ssh).
Ending is terminate -> wait -> kill, bounded in time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

TERMINATE_GRACE = 2.0


def spawn(
    argv: list[str],
    *,
    stdin: int | IO[bytes] | None = subprocess.DEVNULL,
    stdout: int | IO[bytes] | None = subprocess.DEVNULL,
    stderr: int | IO[bytes] | None = subprocess.PIPE,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` (never through a shell) in a process group of its own."""
    return subprocess.Popen(
        argv,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=sys.platform != "win32",
        creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
    )


def end(process: subprocess.Popen[bytes], grace: float = TERMINATE_GRACE) -> int:
    """Terminate the child and its group, then kill it if it lingers; returns its exit code."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(process, getattr(signal, "SIGKILL", signal.SIGTERM))
            process.wait(timeout=grace)
    elif sys.platform != "win32":
        # The leader is gone; its group (rsync's ssh, say) may not be.
        _signal_group(process, signal.SIGKILL)
    return process.returncode


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    if sys.platform == "win32":
        process.terminate() if signum == signal.SIGTERM else process.kill()
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
