"""The built-in engine against a real sshd with real rsync: what reaches the VM, and what not."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from desktop.core.sync_state import SyncPhase
from desktop.remote.sync.builtin import BuiltinEngine
from desktop.remote.sync.rules import TRASH_DIR
from tests.sync_helpers import (
    FAST,
    mark_owned,
    second_save_in_the_same_tick_arrives,
    tree,
    wait_until,
)

Make = Callable[..., tuple[BuiltinEngine, Path, Path]]

ODD_NAMES = (
    "with space.txt",
    "ünïcødé-名前.txt",
    "-leading-dash.txt",
    "--delete",
    "star*and?[x].txt",
    "back\\slash.txt",
)


def test_initial_sync_copies_the_tree(sync_pair: Make) -> None:
    engine, local, remote = sync_pair(start=False)
    (local / "src" / "pkg").mkdir(parents=True)
    (local / "src" / "pkg" / "mod.py").write_text("print('hi')\n")
    (local / "README.md").write_text("# project\n")
    engine.start()
    status = engine.flush(timeout=30)
    assert status.phase is SyncPhase.WATCHING, status
    assert not status.has_unsynced_changes
    assert status.last_synced_at is not None
    assert tree(remote) == tree(local)


def test_edits_creates_deletes_and_renames_follow_the_watcher(sync_pair: Make) -> None:
    engine, local, remote = sync_pair()
    (local / "a").mkdir()
    (local / "a" / "keep.txt").write_text("one")
    (local / "a" / "gone.txt").write_text("bye")
    (local / "old-dir").mkdir()
    (local / "old-dir" / "inner.txt").write_text("inner")
    engine.flush(timeout=30)
    assert tree(remote) == tree(local)

    # No flush from here on: the watcher alone must carry each change.
    (local / "a" / "keep.txt").write_text("two")
    (local / "a" / "gone.txt").unlink()
    (local / "a" / "new.txt").write_text("new")
    (local / "old-dir").rename(local / "new-dir")
    (local / "fresh" / "deep").mkdir(parents=True)
    (local / "fresh" / "deep" / "file.txt").write_text("made with the folder")
    wait_until(lambda: tree(remote) == tree(local), what="remote equals local")
    assert not (remote / "old-dir").exists()


def test_a_second_save_in_the_same_tick_and_size_still_arrives(sync_pair: Make) -> None:
    engine, local, remote = sync_pair()
    second_save_in_the_same_tick_arrives(engine, local, remote)


def test_odd_names_symlinks_and_exec_bits(sync_pair: Make) -> None:
    engine, local, remote = sync_pair()
    engine.flush(timeout=30)
    for name in ODD_NAMES:
        (local / name).write_text(name)
    (local / "tool.sh").write_text("#!/bin/sh\necho ok\n")
    (local / "tool.sh").chmod(0o755)
    (local / "link-to-tool").symlink_to("tool.sh")
    (local / "dangling").symlink_to("does/not/exist")
    wait_until(lambda: tree(remote) == tree(local), what="odd names on VM")
    assert os.access(remote / "tool.sh", os.X_OK)
    assert os.readlink(remote / "link-to-tool") == "tool.sh"
    for name in ODD_NAMES:
        (local / name).unlink()
    wait_until(lambda: tree(remote) == tree(local), what="odd names deleted on VM")


def test_a_50_mb_file(sync_pair: Make) -> None:
    engine, local, remote = sync_pair()
    big = local / "data.bin"
    big.write_bytes(os.urandom(50 * 1024 * 1024))
    status = engine.flush(timeout=60)
    assert status.phase is SyncPhase.WATCHING, status
    assert tree(remote) == tree(local)
    # Touched, not changed (a checkout back and forth): the VM ends with the laptop's mtime.
    os.utime(big, ns=(10**18, 10**18))
    status = engine.flush(timeout=60)
    assert status.phase is SyncPhase.WATCHING, status
    assert tree(remote) == tree(local)
    assert (remote / "data.bin").stat().st_mtime_ns == 10**18


def test_ignore_rules_and_pull_folders(sync_pair: Make) -> None:
    engine, local, remote = sync_pair(
        'pull = ["results"]\nignore = ["*.tmp", "node_modules/"]\n', start=False
    )
    (local / ".gitignore").write_text("*.log\nbuild/\n")
    (local / "sub").mkdir()
    (local / "sub" / ".gitignore").write_text("local-only.txt\n")
    for name in ("app.py", "x.log", "y.tmp", "sub/local-only.txt", "sub/kept.txt"):
        (local / name).write_text(name)
    (local / "build").mkdir()
    (local / "build" / "out.o").write_text("obj")
    (local / "node_modules").mkdir()
    (local / "node_modules" / "lib.js").write_text("js")
    # Produced on the VM (in the folder devtray owns): results, and its own ignored output.
    mark_owned(remote)
    (remote / "results").mkdir(parents=True)
    (remote / "results" / "run1.csv").write_text("1,2,3")
    (remote / "vm.log").write_text("the VM's own log")
    (local / "results").mkdir()
    (local / "results" / "stale-local.csv").write_text("laptop copy")

    engine.start()
    assert engine.flush(timeout=30).phase is SyncPhase.WATCHING
    on_vm = tree(remote)
    assert {"app.py", "sub/kept.txt", ".gitignore", "sub/.gitignore"} <= set(on_vm)
    for ignored in ("x.log", "y.tmp", "sub/local-only.txt", "build", "node_modules"):
        assert ignored not in on_vm
    # Pull folders: never pushed, never deleted by a push; they flow back to the laptop.
    assert "results/stale-local.csv" not in on_vm
    assert (remote / "results" / "run1.csv").read_text() == "1,2,3"
    assert (local / "results" / "run1.csv").read_text() == "1,2,3"
    assert (remote / "vm.log").exists()  # ignored paths on the VM are left alone

    (remote / "results" / "run2.csv").write_text("4,5,6")
    wait_until(lambda: (local / "results" / "run2.csv").exists(), what="pulled run2.csv")
    (local / "results" / "stale-local.csv").write_text("edited on the laptop")
    (local / "app.py").write_text("edited")
    engine.flush(timeout=30)
    assert not (remote / "results" / "stale-local.csv").exists()


def test_bringing_results_home_pulls_before_it_pushes(sync_pair: Make) -> None:
    # A spot VM about to be taken back: its results are what only it holds, so they come
    # home before the laptop's edits go out (the periodic pull is an hour away here).
    tuning = replace(FAST, pull_interval=3600.0, git_lock_wait=10.0)
    engine, local, remote = sync_pair('pull = ["results"]\n', tuning=tuning, start=False)
    subprocess.run(["git", "init", "-q", str(local)], check=True)
    (local / "app.py").write_text("v1")
    engine.start()
    engine.flush(timeout=30)
    (remote / "results").mkdir()
    (remote / "results" / "run.csv").write_text("1,2,3")
    # A checkout in progress holds the worker until the request below is made, so the edit
    # and the request are one run (the order within that run is what is checked).
    lock = local / ".git" / "index.lock"
    lock.write_text("")
    (local / "app.py").write_text("v2")
    release = threading.Timer(1.0, lock.unlink)
    release.start()
    try:
        status = engine.bring_results_home(timeout=30)
    finally:
        release.join()
    assert status.phase is SyncPhase.WATCHING, status
    assert (remote / "app.py").read_text() == "v2"
    pulled = (local / "results" / "run.csv").stat().st_ctime_ns
    pushed = (remote / "app.py").stat().st_ctime_ns
    assert pulled < pushed, "the push ran before the results came home"


def test_a_file_overwritten_by_a_push_is_in_the_trash(sync_pair: Make) -> None:
    engine, local, remote = sync_pair()
    (local / "notes.txt").write_text("laptop v1")
    (local / "doomed.txt").write_text("will be deleted")
    engine.flush(timeout=30)
    (remote / "notes.txt").write_text("edited on the VM")  # someone changed it there
    (local / "notes.txt").write_text("laptop v2")
    (local / "doomed.txt").unlink()
    engine.flush(timeout=30)
    assert (remote / "notes.txt").read_text() == "laptop v2"
    kept = {p.name.split("~")[0]: p.read_text() for p in (remote / TRASH_DIR).rglob("*~*")}
    assert kept.get("notes.txt") in ("edited on the VM", "laptop v1")
    versions = [p.read_text() for p in (remote / TRASH_DIR).rglob("notes.txt~*")]
    assert "edited on the VM" in versions
    assert kept["doomed.txt"] == "will be deleted"
    assert not (remote / "doomed.txt").exists()


def _vm_daemons(remote: Path) -> list[psutil.Process]:
    """rsync daemons on "the VM" (this machine) serving `remote`."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "--daemon" in cmdline and f"{remote}/.devtray/rsyncd" in cmdline:
            found.append(process)
    return found


@pytest.mark.parametrize("engine_name", ["builtin"])
def test_changes_travel_through_the_vm_rsync_daemon_which_ends_with_the_engine(
    sync_pair: Make,
) -> None:
    engine, local, remote = sync_pair()
    engine.flush(timeout=30)
    wait_until(lambda: engine.via_daemon, what="the rsync daemon to answer")
    assert _vm_daemons(remote)  # (it forks one more per connection)
    (local / "via-daemon.txt").write_text("no shell per change")
    wait_until(lambda: tree(remote) == tree(local), what="edit through the daemon")
    secrets = remote / ".devtray" / "rsyncd" / "rsyncd.secrets"
    assert secrets.stat().st_mode & 0o077 == 0
    engine.stop()
    wait_until(lambda: not _vm_daemons(remote), what="the VM's daemon to end with the engine")


def test_ignore_patterns_are_names_never_rsync_commands(sync_pair: Make) -> None:
    # `!` alone would clear rsync's exclude list; `+ x` would include x.
    engine, local, remote = sync_pair(
        'pull = ["results"]\nignore = ["!", "+ secret.txt", "*.tmp"]\n', start=False
    )
    mark_owned(remote)
    (remote / "results").mkdir()
    (remote / "results" / "run1.csv").write_text("made on the VM")
    for name in ("app.py", "!", "+ secret.txt", "x.tmp"):
        (local / name).write_text(name)
    engine.start()
    assert engine.flush(timeout=30).phase is SyncPhase.WATCHING
    assert set(tree(remote)) == {".devtray.toml", "app.py", "results", "results/run1.csv"}
    assert (remote / ".devtray" / "owned").exists()
    assert list((remote / TRASH_DIR).rglob("*~*")) == []  # nothing of the VM's was replaced


def test_a_symlinked_pull_folder_stays_a_link(sync_pair: Make, tmp_path: Path) -> None:
    engine, local, remote = sync_pair('pull = ["results"]\n', start=False)
    big_disk = tmp_path / "big-disk"
    big_disk.mkdir()
    (local / "results").symlink_to(big_disk)
    mark_owned(remote)
    (remote / "results").mkdir()
    (remote / "results" / "run1.csv").write_text("1,2,3")
    engine.start()
    engine.flush(timeout=30)
    wait_until(lambda: (big_disk / "run1.csv").exists(), what="results pulled into the link")
    (remote / "results" / "run2.csv").write_text("4,5,6")
    wait_until(lambda: (big_disk / "run2.csv").exists(), what="a second pull")
    assert (local / "results").is_symlink()
    assert os.readlink(local / "results") == str(big_disk)


def test_a_name_that_is_not_utf8_is_synced_and_the_watcher_carries_on(sync_pair: Make) -> None:
    engine, local, remote = sync_pair()
    assert engine.flush(timeout=30).phase is SyncPhase.WATCHING
    odd = os.fsencode(local) + b"/caf\xe9-latin1.txt"
    with open(odd, "wb") as handle:
        handle.write(b"written by an old tool")
    wait_until(lambda: os.path.exists(os.fsencode(remote) + b"/caf\xe9-latin1.txt"), 15, "odd name")
    # The watcher still runs: a plain edit reaches the VM with no flush to push it.
    (local / "after.txt").write_text("edited after the odd name")
    wait_until(lambda: (remote / "after.txt").exists(), 15, "an edit after the odd name")
    wait_until(lambda: engine.status().phase is SyncPhase.WATCHING, 15, "watching again")
    assert tree(remote) == tree(local)


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


@pytest.mark.parametrize("in_git", [True, False], ids=["git", "no-git"])
def test_gitignore_negations_are_read_as_git_reads_them(sync_pair: Make, in_git: bool) -> None:
    engine, local, remote = sync_pair(start=False)
    (local / ".gitignore").write_text("*.log\n!keep.log\n.vscode/*\n!.vscode/settings.json\n")
    (local / ".vscode").mkdir()
    files = {
        "keep.log": "kept",
        "noise.log": "ignored",
        ".vscode/settings.json": "{}",
        ".vscode/launch.json": "ignored",
        "src/app.py": "print()",
        "src/debug.log": "ignored",
        "src/keep.log": "kept too",
    }
    for rel, text in files.items():
        (local / rel).parent.mkdir(parents=True, exist_ok=True)
        (local / rel).write_text(text)
    if in_git:
        _git(local, "init", "-q")
        _git(local, "add", "-A")
        (local / "forced.log").write_text("tracked although *.log")
        _git(local, "add", "-f", "forced.log")
        _git(local, "commit", "-qm", "start")
    wanted = {".gitignore", "keep.log", ".vscode/settings.json", "src/app.py", "src/keep.log"}
    if in_git:
        wanted.add("forced.log")

    engine.start()
    assert engine.flush(timeout=30).phase is SyncPhase.WATCHING
    on_vm = {rel for rel, kind in tree(remote).items() if kind != "dir"}
    assert on_vm == wanted

    # The watcher's path: a changed path is sent if and only if it is in scope.
    (local / "src" / "keep.log").write_text("edited")
    (local / "src" / "debug.log").write_text("edited, still ignored")
    (local / "new").mkdir()
    (local / "new" / "a.py").write_text("new")
    (local / "new" / "b.log").write_text("ignored in a new folder")
    wait_until(lambda: (remote / "new" / "a.py").exists(), what="a new folder's file")
    wait_until(lambda: (remote / "src" / "keep.log").read_text() == "edited", what="keep.log")
    assert not (remote / "src" / "debug.log").exists()
    assert not (remote / "new" / "b.log").exists()
