"""Start-up time and peak memory of the tray, side by side with a minimal PySide6 tray.

    .venv/bin/python benchmarks/tray_startup.py [--runs 15] [--offscreen]

Each round starts `python -m desktop --demo --quit-after-startup` and
`python benchmarks/minimal_tray.py` (same icon, same menu size) one after the other, in
alternating order. Both print one line the moment their icon is up, then exit. Measured from
here, per process: wall time from spawn to that line (start-up: the icon is up and its menu
opens), wall time from spawn to exit (devtray also builds its feature rows and opens its
single-instance socket after the line, and then quits), and peak RSS (from wait4, so it counts
everything devtray loaded after the line too). Reported: medians over the rounds, and the
devtray/baseline ratios as the median of each round's ratio (the two runs of a round are
back to back, so a machine that slows down for a while slows both; the ratio of the medians is
printed too). Targets (issue 3): start-up <= 1.25x and RSS <= 1.5x the minimal tray.

Both run from compiled bytecode, as an installed app does (`PYTHONDONTWRITEBYTECODE` would
otherwise make every run compile devtray's modules from source).

By default both run in a real X session with a tray host (Xvfb + trayer, as in the e2e test);
`--offscreen` uses Qt's offscreen platform instead. Both get a throw-away HOME, so a tray you
are running yourself is not disturbed.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.xsession import X_SESSION_TOOLS, x_session  # noqa: E402

DEVTRAY = (sys.executable, "-m", "desktop", "--demo", "--quit-after-startup")
BASELINE = (sys.executable, str(ROOT / "benchmarks" / "minimal_tray.py"))
STARTUP_TARGET = 1.25
RSS_TARGET = 1.5


@dataclass(frozen=True)
class Run:
    """One process: seconds to its start-up line, seconds to its exit, peak RSS in MiB."""

    icon_up: float
    exited: float
    peak_rss: float


def measure(argv: Sequence[str], env: Mapping[str, str]) -> Run:
    """Time one run (which must print its start-up line and exit 0)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=dict(env), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    icon_up = time.perf_counter() - started
    process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    exited = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or b"started in" not in line:
        raise SystemExit(f"{' '.join(argv)} exited with {process.returncode}: {line!r}")
    return Run(icon_up, exited, usage.ru_maxrss / 1024)  # Linux reports KiB


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
    for folder in ("desktop", "benchmarks"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    results: dict[str, list[Run]] = {"devtray": [], "baseline": []}
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
        name: Run(
            statistics.median(run.icon_up for run in runs),
            statistics.median(run.exited for run in runs),
            statistics.median(run.peak_rss for run in runs),
        )
        for name, runs in results.items()
    }
    devtray, baseline = medians["devtray"], medians["baseline"]
    pairs = list(zip(results["devtray"], results["baseline"], strict=True))
    startup_ratio = statistics.median(mine.icon_up / base.icon_up for mine, base in pairs)
    rss_ratio = statistics.median(mine.peak_rss / base.peak_rss for mine, base in pairs)
    whole_ratio = statistics.median(mine.exited / base.exited for mine, base in pairs)
    platform = "offscreen" if args.offscreen else "Xvfb + trayer"
    print(f"tray start-up, {args.runs} rounds, {platform}, medians:")
    print(f"  {'':9s} {'icon up':>9s} {'exited':>9s} {'peak RSS':>10s}")
    for name, run in medians.items():
        print(
            f"  {name:9s} {run.icon_up * 1000:6.0f} ms {run.exited * 1000:6.0f} ms "
            f"{run.peak_rss:6.1f} MiB"
        )
    verdict = {True: "meets", False: "MISSES"}
    print(
        f"  start-up ratio {startup_ratio:.2f} ({verdict[startup_ratio <= STARTUP_TARGET]} "
        f"<= {STARTUP_TARGET}; spawn to icon up; ratio of the medians "
        f"{devtray.icon_up / baseline.icon_up:.2f})"
    )
    print(f"  RSS ratio      {rss_ratio:.2f} ({verdict[rss_ratio <= RSS_TARGET]} <= {RSS_TARGET})")
    print(
        f"  whole run      {whole_ratio:.2f} (spawn to exit; devtray also "
        "builds its feature rows after the icon is up)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
