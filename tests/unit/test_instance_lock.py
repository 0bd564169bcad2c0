"""The tray's claim: one holder at a time, and a dead holder frees it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from desktop.system.instance_lock import try_lock

HOLD = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from desktop.system.instance_lock import try_lock\n"
    "lock = try_lock(Path(sys.argv[1]))\n"
    "print('held' if lock else 'busy', flush=True)\n"
    "time.sleep(60)\n"
)


def test_only_one_holder_until_released(tmp_path: Path) -> None:
    path = tmp_path / "nested" / ".tray.lock"
    first = try_lock(path)
    assert first is not None
    assert try_lock(path) is None
    first.release()
    again = try_lock(path)
    assert again is not None
    again.release()


def test_a_killed_holder_leaves_nothing_stale(tmp_path: Path) -> None:
    path = tmp_path / ".tray.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert try_lock(path) is None
    finally:
        holder.kill()
        holder.wait(timeout=10)
    # The file is still there; the lock died with its process.
    assert path.exists()
    lock = try_lock(path)
    assert lock is not None
    lock.release()
