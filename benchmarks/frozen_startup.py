"""Start-up of the frozen app (what users install) side by side with the same commands from source.

    .venv/bin/python benchmarks/frozen_startup.py [--app dist/devtray] [--rounds 7]

Without --app it freezes the current checkout into a temporary folder first. Each round runs,
alternating frozen and source so machine load hits both alike:
  * `devtray --version`                      (the CLI path: no Qt, no cloud SDK)
  * `devtray --demo --quit-after-startup`    (the tray: Qt up, icon shown; on a private Xvfb)
each "cold" (the app's own files evicted from the page cache with posix_fadvise DONTNEED, as
after a reboot; system libraries stay cached, as they are on a desktop that is running) and
"warm" (immediately again). Prints medians in ms and frozen/source ratios.
Target (issue 8): the frozen tray's cold start <= 1.5 s on this kind of machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "packaging"))
sys.path.insert(0, str(REPO))

from tests.xvfb import xvfb_display  # noqa: E402


def evict(folder: Path) -> None:
    """Drop `folder`'s files from the page cache (only ours: nobody else's run gets colder)."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def timed(argv: Sequence[str], env: dict[str, str]) -> float:
    """Wall seconds of one run, which must succeed."""
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, help="a frozen devtray folder (else: freeze now)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch, xvfb_display() as display:
        app = args.app
        if app is None:
            from freeze import freeze

            app = freeze(Path(scratch) / "dist", Path(scratch) / "build")
        home = Path(scratch) / "home"
        home.mkdir()
        env = dict(
            os.environ,
            DISPLAY=display,
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_STATE_HOME=str(home / ".state"),
            DEVTRAY_CONFIG_DIR=str(home / ".config" / "devtray"),
            DEVTRAY_LOG_DIR=str(home / "log"),
        )
        env.pop("QT_QPA_PLATFORM", None)
        site_packages = Path(sys.prefix)  # the source run's venv: Python, PySide6, boto3
        variants = {
            "frozen": ([str(app / "devtray")], [app]),
            "source": ([sys.executable, "-m", "desktop"], [site_packages, REPO / "desktop"]),
        }
        commands = {"--version": ["--version"], "tray": ["--demo", "--quit-after-startup"]}
        results: dict[tuple[str, str, str], list[float]] = {}
        for _ in range(args.rounds):
            for command, extra in commands.items():
                for variant, (argv, folders) in variants.items():
                    for folder in folders:
                        evict(folder)
                    for temperature in ("cold", "warm"):
                        seconds = timed([*argv, *extra], env)
                        results.setdefault((command, variant, temperature), []).append(seconds)

    print(f"medians of {args.rounds} rounds, ms (frozen app: {app})")
    print(f"{'command':<12}{'':<6}{'frozen':>9}{'source':>9}{'ratio':>8}")
    for command in commands:
        for temperature in ("cold", "warm"):
            frozen = statistics.median(results[(command, "frozen", temperature)]) * 1000
            source = statistics.median(results[(command, "source", temperature)]) * 1000
            ratio = frozen / source
            print(f"{command:<12}{temperature:<6}{frozen:>9.0f}{source:>9.0f}{ratio:>8.2f}")


if __name__ == "__main__":
    main()
