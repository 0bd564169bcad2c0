"""Sync's pure parts: status snapshots, push-scope rules, trash naming, targets, project keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from desktop.core.errors import BadConfig
from desktop.core.project import Project, SyncSettings, load_project
from desktop.core.sync_state import SyncPhase, SyncStatus
from desktop.remote.sync import rules, trash
from desktop.remote.sync.target import SshTarget, rsh_command


def test_status_round_trips_through_json_and_says_what_is_unsynced() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    status = SyncStatus(
        engine="builtin", phase=SyncPhase.WATCHING, last_synced_at=now, conflicts=("a.txt",)
    )
    assert SyncStatus.from_json(status.to_json()) == status
    assert not status.has_unsynced_changes
    assert status.summary(now + timedelta(seconds=4)) == "watching, synced 4s ago, 1 conflicts"
    assert SyncStatus(engine="b", phase=SyncPhase.WATCHING, pending=2).has_unsynced_changes
    offline = SyncStatus(engine="b", phase=SyncPhase.OFFLINE, reason="no route", pending=3)
    assert offline.has_unsynced_changes
    assert offline.summary() == "offline: no route, 3 files waiting"
    checkout = SyncStatus(engine="b", phase=SyncPhase.SYNCING, checkout_files=1000)
    assert checkout.summary() == "syncing 1,000 files changed by checkout"
    done = SyncStatus(engine="b", phase=SyncPhase.WATCHING, checkout_files=1000, last_synced_at=now)
    assert done.summary(now) == "watching, synced 0s ago (1,000 files changed by checkout)"


def test_scope_excludes_git_pull_folders_trash_and_ignores(tmp_path: Path) -> None:
    project = Project(root=tmp_path, pull=("results/", "out/data"), ignore=("*.pyc",))
    assert rules.scope_filters(project) == [
        "--exclude=/.devtray/",
        "--exclude=/.git/",
        "--exclude=/results",
        "--exclude=/out/data",
        "--filter=- *.pyc",
    ]
    with_git = Project(root=tmp_path, sync_git=True)
    assert "--exclude=/.git/" not in rules.scope_filters(with_git)


@pytest.mark.parametrize("folder", ["../up", "/", "a/../b", "."])
def test_pull_folders_must_stay_inside_the_project(tmp_path: Path, folder: str) -> None:
    with pytest.raises(BadConfig, match="inside the project"):
        rules.pull_folders(Project(root=tmp_path, pull=(folder,)))


def test_escape_only_touches_names_with_wildcards() -> None:
    assert rules.escape("plain name.txt") == "plain name.txt"
    assert rules.escape("back\\slash") == "back\\slash"
    assert rules.escape("a*b?[c]\\d") == "a\\*b\\?\\[c]\\\\d"


def test_change_rules_cover_ancestors_deletions_and_new_folders(tmp_path: Path) -> None:
    (tmp_path / "src" / "new").mkdir(parents=True)
    (tmp_path / "src" / "kept.py").write_text("x")
    changes = rules.ChangeSet(
        frozenset({"src/kept.py", "src/gone.py", "src/new"}), frozenset({"src/new"})
    )
    text = rules.change_rules(tmp_path, changes)
    assert text is not None
    assert text.splitlines() == [
        "+ /src/",
        "+ /src/gone.py",
        "+ /src/gone.py/***",
        "+ /src/kept.py",
        "+ /src/new/***",
    ]
    assert rules.change_rules(tmp_path, rules.ChangeSet(frozenset({"bad\nname"}))) is None


def test_trash_names_and_pruning_by_age() -> None:
    now = datetime(2026, 11, 23, 14, 5, 9, 123456)
    assert trash.backup_args(now) == [
        "--backup",
        "--backup-dir=.devtray/trash/2026-11-23",
        "--suffix=~140509.123",
    ]
    listing = (
        "drwxr-xr-x          4,096 2026/11/23 02:15:30 .\n"
        "drwxr-xr-x          4,096 2026/11/01 02:15:30 2026-11-01\n"
        "drwxr-xr-x          4,096 2026/11/16 02:15:30 2026-11-16\n"
        "drwxr-xr-x          4,096 2026/11/20 02:15:30 2026-11-20\n"
        "-rw-r--r--              3 2026/11/01 02:15:30 2026-10-01\n"
    )
    assert trash.expired_days(listing, date(2026, 11, 23), 7) == ["2026-11-01", "2026-11-16"]


def test_target_paths_and_the_rsync_remote_shell() -> None:
    assert SshTarget("vm.devtray", "~/src/app").rsync_dir == "src/app"
    assert SshTarget("vm.devtray", "~").rsync_dir == "."
    assert SshTarget("vm.devtray", "/srv/app/").remote_spec("x") == "vm.devtray:/srv/app/x"
    assert rsh_command(["ssh", "-F", "/Users/me/Application Support/c"]) == (
        "ssh -F '/Users/me/Application Support/c'"
    )
    with pytest.raises(BadConfig):
        rsh_command(["ssh", "-F", "it's"])
    with pytest.raises(BadConfig):
        SshTarget("-oProxyCommand=x", "~/app")


def test_project_trash_days(tmp_path: Path) -> None:
    (tmp_path / ".devtray.toml").write_text("[sync]\ntrash_days = 3\n")
    assert load_project(tmp_path).sync == SyncSettings(trash_days=3)
    (tmp_path / ".devtray.toml").write_text("[sync]\ntrash_days = 0\n")
    with pytest.raises(BadConfig, match="trash_days"):
        load_project(tmp_path)


@pytest.mark.parametrize("value", ["~", "~/", "/", "//", "", " ", "~/src/../..", "a/./b", "~bob/x"])
def test_remote_path_that_is_no_project_folder_is_refused_at_load(
    tmp_path: Path, value: str
) -> None:
    (tmp_path / ".devtray.toml").write_text(f"remote_path = {value!r}\n".replace("'", '"'))
    with pytest.raises(BadConfig, match="remote_path") as refused:
        load_project(tmp_path)
    assert ".devtray.toml:1" in refused.value.message


@pytest.mark.parametrize("value", ["~/src/app", "src/app", "/srv/app/"])
def test_remote_path_of_a_folder_of_its_own_loads(tmp_path: Path, value: str) -> None:
    (tmp_path / ".devtray.toml").write_text(f'remote_path = "{value}"\n')
    assert load_project(tmp_path).remote_path == value


@pytest.mark.parametrize("pattern", ["a\\nb", " ", "x\\r"])
def test_ignore_patterns_must_be_one_line(tmp_path: Path, pattern: str) -> None:
    (tmp_path / ".devtray.toml").write_text(f'ignore = ["{pattern}"]\n')
    with pytest.raises(BadConfig, match="ignore"):
        load_project(tmp_path)
