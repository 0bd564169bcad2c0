"""Start-up time and peak memory of the tray, side by side with a minimal PySide6 tray.

    .venv/bin/python benchmarks/tray_startup.py [--runs 15] [--offscreen]

Each round starts `python -m desktop --demo --quit-after-startup` and
`python benchmarks/minimal_tray.py` (same icon, same menu size) one after the other, in
alternating order, and measures each process's wall time (spawn to exit) and peak RSS (from
wait4). Reported: medians over the rounds and devtray/baseline ratios. Targets (issue 3):
start-up <= 1.25x and RSS <= 1.5x the minimal tray.

By default both run in a real X session with a tray host (Xvfb + trayer, as in the e2e test);
`--offscreen` uses Qt's offscreen platform instead. Both get a throw-away HOME, so a tray you
are running yourself is not disturbed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.xsession import X_SESSION_TOOLS, x_session  # noqa: E402

DEVTRAY = (sys.executable, "-m", "desktop", "--demo", "--quit-after-startup")
BASELINE = (sys.executable, str(ROOT / "benchmarks" / "minimal_tray.py"))
STARTUP_TARGET = 1.25
RSS_TARGET = 1.5


def measure(argv: Sequence[str], env: Mapping[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MiB of one run (which must exit 0)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=dict(env), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024  # Linux reports KiB


@contextlib.contextmanager
def environment(offscreen: bool, home: Path) -> Iterator[dict[str, str]]:
    """The environment both apps run in: an X session with a tray host, or offscreen."""
    base = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "DEVTRAY_CONFIG_DIR": str(home / ".config" / "devtray"),
        "DEVTRAY_LOG_DIR": str(home / "log"),
    }
    if offscreen:
        yield {**base, "QT_QPA_PLATFORM": "offscreen"}
        return
    missing = [tool for tool in X_SESSION_TOOLS if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"needs {', '.join(missing)} (or pass --offscreen)")
    with x_session() as session:
        yield {**base, **session.env, "QT_QPA_PLATFORM": "xcb"}


def main() -> int:
    """Run the rounds and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--offscreen", action="store_true")
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {"devtray": [], "baseline": []}
    with tempfile.TemporaryDirectory() as home, environment(args.offscreen, Path(home)) as env:
        for argv in (DEVTRAY, BASELINE):
            measure(argv, env)  # warm the file cache; not counted
        for round_number in range(args.runs):
            order = [("devtray", DEVTRAY), ("baseline", BASELINE)]
            if round_number % 2:
                order.reverse()
            for name, argv in order:
                results[name].append(measure(argv, env))
    medians = {
        name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        for name, runs in results.items()
    }
    startup_ratio = medians["devtray"][0] / medians["baseline"][0]
    rss_ratio = medians["devtray"][1] / medians["baseline"][1]
    platform = "offscreen" if args.offscreen else "Xvfb + trayer"
    print(f"tray start-up, {args.runs} rounds, {platform}, medians:")
    for name, (wall, rss) in medians.items():
        print(f"  {name:9s} {wall * 1000:7.0f} ms  {rss:6.1f} MiB peak RSS")
    verdict = {True: "meets", False: "MISSES"}
    print(
        f"  start-up ratio {startup_ratio:.2f} ({verdict[startup_ratio <= STARTUP_TARGET]} "
        f"<= {STARTUP_TARGET})"
    )
    print(f"  RSS ratio      {rss_ratio:.2f} ({verdict[rss_ratio <= RSS_TARGET]} <= {RSS_TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
