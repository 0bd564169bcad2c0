"""The simulated demo VM's sync engine: the project mirrored into a folder with the real
engines' rules (git's scope, `ignore`, pull folders, the trash, the owned-folder marker),
driven by the real watcher and real git."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.core.project import load_project
from desktop.core.sync_state import SyncPhase
from desktop.remote.sync.local_copy import LocalCopyEngine, Tuning
from desktop.remote.sync.ownership import ADOPTED_PREFIX, MARKER, NotOwned
from desktop.remote.sync.rules import TRASH_DIR
from tests.conftest import require_tool
from tests.sync_helpers import second_save_in_the_same_tick_arrives, tree, wait_until

Make = Callable[..., tuple[LocalCopyEngine, Path, Path]]
FAST = Tuning(retry_min=0.1, retry_max=0.5, pull_interval=0.5)


@pytest.fixture
def copy_pair(tmp_path: Path) -> Iterator[Make]:
    """Make (engine, project, its copy on the VM's disk); every engine is stopped after."""
    require_tool("git")
    engines: list[LocalCopyEngine] = []

    def make(
        project_toml: str = "", *, git: bool = False, start: bool = True, adopt: bool = False
    ) -> tuple[LocalCopyEngine, Path, Path]:
        local = tmp_path / f"project{len(engines)}"
        copy = tmp_path / "disk" / f"project{len(engines)}"
        local.mkdir()
        if git:
            subprocess.run(["git", "init", "-q", str(local)], check=True)
        if project_toml:
            (local / ".devtray.toml").write_text(project_toml)
        engine = LocalCopyEngine(load_project(local), copy, adopt=adopt, tuning=FAST)
        engines.append(engine)
        if start:
            engine.start()
        return engine, local, copy

    yield make
    for engine in engines:
        engine.stop()


def trashed(copy: Path) -> dict[str, set[str]]:
    """What the trash holds: original name -> the contents kept of it (a save the copy caught
    half-written is kept too, as rsync's backups would keep it)."""
    kept: dict[str, set[str]] = {}
    for path in (copy / TRASH_DIR).rglob("*"):
        if path.is_file():
            day_relative = path.relative_to(copy / TRASH_DIR).parts[1:]
            kept.setdefault("/".join(day_relative).rsplit("~", 1)[0], set()).add(path.read_text())
    return kept


def test_the_copy_follows_edits_creates_and_renames_and_marks_the_folder(copy_pair: Make) -> None:
    engine, local, copy = copy_pair(start=False)
    (local / "src").mkdir()
    (local / "src" / "mod.py").write_text("A = 1\n")
    (local / "run.sh").write_text("#!/bin/sh\n")
    (local / "run.sh").chmod(0o755)
    os.symlink("src/mod.py", local / "link.py")
    engine.start()
    status = engine.flush(timeout=30)
    assert status.phase is SyncPhase.WATCHING and not status.has_unsynced_changes, status
    assert tree(copy) == tree(local)
    assert "devtray" in (copy / MARKER).read_text()

    # No flush: the watcher alone carries each change.
    (local / "src" / "mod.py").write_text("A = 2\n")
    (local / "src").rename(local / "lib")
    (local / "new" / "deep").mkdir(parents=True)
    (local / "new" / "deep" / "file.txt").write_text("with its folder")
    wait_until(lambda: tree(copy) == tree(local), what="the copy equals the project")
    assert not (copy / "src").exists()
    assert engine.status().changes_synced > 0


def test_a_second_save_in_the_same_tick_and_size_still_arrives(copy_pair: Make) -> None:
    engine, local, copy = copy_pair()
    second_save_in_the_same_tick_arrives(engine, local, copy)


def test_deleted_and_overwritten_files_go_to_the_trash(copy_pair: Make) -> None:
    engine, local, copy = copy_pair()
    (local / "gone.txt").write_text("deleted on the laptop")
    (local / "kept.txt").write_text("first version")
    engine.flush(timeout=30)
    (local / "gone.txt").unlink()
    (local / "kept.txt").write_text("second version")
    engine.flush(timeout=30)
    assert tree(copy) == tree(local)
    kept = trashed(copy)
    assert set(kept) == {"gone.txt", "kept.txt"}
    assert "deleted on the laptop" in kept["gone.txt"]
    assert "first version" in kept["kept.txt"]
    assert "second version" not in kept["kept.txt"]


def test_ignore_rules_are_the_real_engines(copy_pair: Make) -> None:
    engine, local, copy = copy_pair(
        'ignore = ["*.tmp"]\npull = ["results"]\n', git=True, start=False
    )
    (local / ".gitignore").write_text("*.log\n!keep.log\nbuild/\n")
    (local / "app.log").write_text("ignored by git")
    (local / "keep.log").write_text("kept by a negation")
    (local / "scratch.tmp").write_text("ignored by .devtray.toml")
    (local / "build").mkdir()
    (local / "build" / "out.o").write_text("ignored folder")
    (local / "main.py").write_text("print()\n")
    # The VM's own: a build output git ignores, and results a job wrote in a pull folder.
    (copy / "build").mkdir(parents=True)
    (copy / "build" / "vm-only.o").write_text("made on the VM")
    (copy / "results").mkdir()
    (copy / "results" / "score.txt").write_text("0.93")
    (copy / MARKER).parent.mkdir()
    (copy / MARKER).write_text('{"owner": "devtray"}\n')
    engine.start()
    engine.bring_results_home(timeout=30)
    held = set(tree(copy))
    assert {"main.py", "keep.log", ".gitignore", ".devtray.toml"} <= held
    assert not {"app.log", "scratch.tmp", "build/out.o", ".git"} & held
    assert (copy / "build" / "vm-only.o").read_text() == "made on the VM"  # never deleted
    assert (local / "results" / "score.txt").read_text() == "0.93"  # brought home
    assert trashed(copy) == {}


def test_a_folder_devtray_does_not_own_is_refused_or_adopted(
    copy_pair: Make, tmp_path: Path
) -> None:
    foreign = tmp_path / "disk" / "project0"
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("someone's")
    engine, local, copy = copy_pair(start=False)
    (local / "main.py").write_text("print()\n")
    with pytest.raises(NotOwned, match=r"holds 1 entries devtray did not put there \(notes.txt\)"):
        engine.start()
    assert (foreign / "notes.txt").read_text() == "someone's"  # untouched

    adopting = LocalCopyEngine(load_project(local), copy, adopt=True, tuning=FAST)
    adopting.start()
    try:
        adopting.flush(timeout=30)
    finally:
        adopting.stop()
    assert tree(copy) == tree(local)
    (moved,) = (copy / ADOPTED_PREFIX).parent.glob("adopted-*/notes.txt")
    assert moved.read_text() == "someone's"


def test_pause_holds_changes_back_until_resume(copy_pair: Make) -> None:
    engine, local, copy = copy_pair()
    engine.flush(timeout=30)
    assert engine.pause().phase is SyncPhase.PAUSED
    (local / "later.txt").write_text("after the pause")
    wait_until(lambda: engine.status().pending == 1, what="the change noticed")
    assert not (copy / "later.txt").exists()
    engine.resume()
    wait_until(lambda: (copy / "later.txt").exists(), what="the change sent after resume")
