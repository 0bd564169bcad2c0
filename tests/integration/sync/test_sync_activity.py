"""Sync activity for auto-stop: the built-in engine's `changes_synced` against a real sshd.

Edits pushed and results pulled add the number of paths rsync changed; a whole-tree run or a
periodic pull that finds nothing adds nothing (or a VM with sync running would never go idle).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from desktop.remote.sync.builtin import BuiltinEngine
from tests.sync_helpers import FAST, tree, wait_until

Make = Callable[..., tuple[BuiltinEngine, Path, Path]]


def test_edits_and_pulled_results_count_verification_runs_do_not(sync_pair: Make) -> None:
    engine, local, remote = sync_pair('pull = ["results"]\n', start=False)
    (local / "src").mkdir()
    (local / "src" / "app.py").write_text("v1")
    (local / "README.md").write_text("readme")
    engine.start()
    status = engine.flush(timeout=30)
    # The first run brought the VM up to date: .devtray.toml, README.md, src/ and src/app.py.
    assert status.changes_synced == 4, status
    assert tree(remote) == tree(local)

    # Whole-tree runs that find nothing (a flush, as auto-stop does before stopping) and
    # periodic pulls of an unchanged pull folder: no activity.
    for _ in range(2):
        assert engine.flush(timeout=30).changes_synced == 4
    time.sleep(FAST.pull_interval * 2.5)  # at least two periodic pulls ran
    assert engine.status().changes_synced == 4

    # An edit on the laptop, pushed by the watcher (no flush): one path.
    (local / "src" / "app.py").write_text("v2")
    wait_until(lambda: (remote / "src" / "app.py").read_text() == "v2", what="edit on the VM")
    wait_until(lambda: engine.status().changes_synced == 5, what="counter at 5")

    # A job on the VM writes two results: pulled back, two more (plus the new folder).
    (remote / "results").mkdir()
    (remote / "results" / "a.csv").write_text("1")
    (remote / "results" / "b.csv").write_text("2")
    wait_until(lambda: (local / "results" / "b.csv").exists(), what="results pulled")
    wait_until(lambda: engine.status().changes_synced == 8, what="counter at 8")

    # A deletion is a change too; then quiet again.
    (local / "README.md").unlink()
    wait_until(lambda: not (remote / "README.md").exists(), what="deletion on the VM")
    wait_until(lambda: engine.status().changes_synced == 9, what="counter at 9")
    assert engine.flush(timeout=30).changes_synced == 9
    time.sleep(FAST.pull_interval * 2.5)
    assert engine.status().changes_synced == 9
