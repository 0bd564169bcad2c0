"""The .deb: metadata, layout, and an install into a private root that runs the CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from desktop import __version__
from tests.conftest import require_tool

pytestmark = pytest.mark.packaging


def dpkg_field(deb: Path, field: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), field], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_metadata(deb_package: Path) -> None:
    assert dpkg_field(deb_package, "Package") == "devtray"
    assert dpkg_field(deb_package, "Version") == __version__
    depends = dpkg_field(deb_package, "Depends")
    assert depends.startswith("libc6 (>= 2.")
    assert "libxcb1" in depends and "python" not in depends


def test_menu_entry_icon_and_command_on_path(deb_package: Path) -> None:
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(deb_package)], capture_output=True, text=True, check=True
    ).stdout
    assert "./usr/bin/devtray -> ../../opt/devtray/devtray" in listing
    for path in (
        "./usr/share/applications/devtray.desktop",
        "./usr/share/icons/hicolor/scalable/apps/devtray.svg",
        "./usr/share/icons/hicolor/256x256/apps/devtray.png",
        "./opt/devtray/devtray",
    ):
        assert f" {path}\n" in listing


def test_desktop_entry_is_valid(deb_package: Path, tmp_path: Path) -> None:
    require_tool("desktop-file-validate")
    subprocess.run(["dpkg-deb", "-x", str(deb_package), str(tmp_path)], check=True)
    entry = tmp_path / "usr" / "share" / "applications" / "devtray.desktop"
    result = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Exec=devtray\n" in entry.read_text(encoding="utf-8")


def test_installs_runs_and_uninstalls_in_a_private_root(deb_package: Path, tmp_path: Path) -> None:
    require_tool("dpkg")
    root = tmp_path / "root"
    admin = root / "var" / "lib" / "dpkg"
    for folder in ("info", "updates", "triggers"):
        (admin / folder).mkdir(parents=True)
    (admin / "status").touch()
    (admin / "available").touch()
    # Dependencies are the host's libraries (libc, GL, xcb): this root has no package database
    # entries for them, so dpkg is told to go on; the binary runs against the host's.
    dpkg = [
        "dpkg",
        f"--root={root}",
        "--force-depends",
        "--force-not-root",
        "--force-script-chrootless",
    ]
    subprocess.run([*dpkg, "-i", str(deb_package)], check=True, capture_output=True)
    result = subprocess.run(
        [str(root / "usr" / "bin" / "devtray"), "--version"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert result.stdout.strip() == f"devtray {__version__}", result.stderr
    subprocess.run([*dpkg, "--purge", "devtray"], check=True, capture_output=True)
    assert not (root / "opt" / "devtray").exists()
    assert not (root / "usr" / "bin" / "devtray").exists()
