"""An exclusive lock on a file that the operating system drops when the process ends.

The tray claims it before showing its icon: it costs one `open` and one lock call, where a
local server would cost the start-up the whole Qt networking module. A crash cannot leave it
held, so there is nothing stale to clean up.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO


class InstanceLock:
    """A held lock; `release()` (or the end of the process) frees it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle: IO[bytes] | None = handle

    def release(self) -> None:
        """Free the lock (closing the file is what releases it on every platform)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def try_lock(path: Path) -> InstanceLock | None:
    """Take the lock at `path` without waiting; None when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+b")  # noqa: SIM115 - held open for the life of the lock
    try:
        if not _lock(handle):
            handle.close()
            return None
    except BaseException:
        handle.close()
        raise
    return InstanceLock(handle)


def _lock(handle: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        # flock, not lockf: a second open of the same file in this process conflicts too,
        # which is what a test of "second instance" in one process needs.
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
