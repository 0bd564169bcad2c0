"""Freeze devtray into a self-contained folder with PyInstaller (`packaging/devtray.spec`).

    python packaging/freeze.py [--dist DIR] [--work DIR] [--target-arch arm64|x86_64]

Output: DIST/devtray/ (Linux, Windows: the folder to install; run DIST/devtray/devtray) and,
on macOS, DIST/devtray.app. Prints the bundle's size. Needs the `test` or `gui` extra plus
`pyinstaller` in the running interpreter's environment.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from icons import write_icons  # noqa: E402


def folder_size(path: Path) -> int:
    """Bytes of every file under `path` (symlinks not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def freeze(dist: Path, work: Path, target_arch: str | None = None) -> Path:
    """Run PyInstaller; returns the frozen app folder (or the .app on macOS)."""
    icons = work / "icons"
    write_icons(icons)
    env = dict(os.environ, DEVTRAY_ICONS_DIR=str(icons))
    if target_arch:
        env["DEVTRAY_TARGET_ARCH"] = target_arch
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level=WARN",
            f"--distpath={dist}",
            f"--workpath={work / 'pyinstaller'}",
            str(HERE / "devtray.spec"),
        ],
        check=True,
        cwd=REPO,
        env=env,
    )
    app = dist / ("devtray.app" if sys.platform == "darwin" else "devtray")
    if not app.is_dir():
        raise SystemExit(f"PyInstaller finished but {app} is missing")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist")
    parser.add_argument("--work", type=Path, default=REPO / "build")
    parser.add_argument("--target-arch", choices=["arm64", "x86_64"], help="macOS only")
    args = parser.parse_args()
    app = freeze(args.dist.resolve(), args.work.resolve(), args.target_arch)
    print(f"{app}: {folder_size(app) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
