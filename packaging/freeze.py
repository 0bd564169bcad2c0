"""Freeze devtray into a self-contained folder with PyInstaller (`packaging/devtray.spec`).

    python packaging/freeze.py [--dist DIR] [--work DIR] [--target-arch arm64|x86_64] [--release]

Output: DIST/devtray/ (Linux, Windows: the folder to install; run DIST/devtray/devtray) and,
on macOS, DIST/devtray.app. Prints the bundle's size. Needs the `test` or `gui` extra plus
`pyinstaller` in the running interpreter's environment. `--release` refuses to build with an
offline AWS price table that was not generated from the Pricing API (the repository carries a
hand-entered seed until someone with `pricing:GetProducts` runs
`packaging/generate_aws_price_table.py`).
"""

from __future__ import annotations

import argparse
import json
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


PRICE_TABLE = REPO / "desktop" / "providers" / "aws" / "price_table.json"


def price_table_problem(table: Path = PRICE_TABLE) -> str | None:
    """Why the offline price table may not ship in a release, or None when it may."""
    try:
        generated_at = json.loads(table.read_text(encoding="utf-8")).get("generated_at")
    except (OSError, ValueError) as exc:
        return f"{table} cannot be read ({exc}); regenerate it"
    if not isinstance(generated_at, str) or generated_at == "seed":
        return (
            f"{table} is a hand-entered seed, not generated from the AWS Pricing API. Run "
            "`python packaging/generate_aws_price_table.py` with credentials allowed "
            "pricing:GetProducts, commit the table, then build the release."
        )
    return None


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
    parser.add_argument("--release", action="store_true", help="refuse a seed price table")
    args = parser.parse_args()
    problem = price_table_problem() if args.release else None
    if problem:
        raise SystemExit(f"not a release build: {problem}")
    app = freeze(args.dist.resolve(), args.work.resolve(), args.target_arch)
    print(f"{app}: {folder_size(app) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
