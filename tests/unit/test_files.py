"""Atomic writes: the old file or the new one, never a mix; a backup of the old one first."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.core.files import atomic_write, backup_path


def test_replaces_content_keeps_backup_and_sets_mode(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file"
    atomic_write(target, b"first")
    assert not backup_path(target).exists()
    atomic_write(target, b"second", mode=0o600)
    assert target.read_bytes() == b"second"
    assert backup_path(target).read_bytes() == b"first"
    assert target.stat().st_mode & 0o777 == 0o600


def test_failure_before_rename_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    target = folder / "file"
    target.write_bytes(b"old")

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in folder.iterdir()) == ["file", "file.devtray-backup"]
