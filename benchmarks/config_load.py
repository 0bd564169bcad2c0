"""What reading `config.toml` costs at start-up, and what a schema library would add.

    .venv/bin/python benchmarks/config_load.py [--runs 15] [--baseline DIR]
        [--python-with-msgspec PATH]

Each run is a fresh interpreter (imports are what start-up pays): it times, in-process,
(1) importing devtray's config module and loading a full `config.toml` with every section,
(2) `import pydantic` plus one small model, (3) `import msgspec` plus one small struct (with
`--python-with-msgspec`, an interpreter that has it; devtray does not depend on it). Medians in
milliseconds. (1) is devtray's own typed reader; (2) and (3) are the floor of adopting a
library, before any schema is written in it. `--baseline DIR` times (1) for another checkout
of devtray too (e.g. main's), alternating with this one run by run, with the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FULL_CONFIG = """schema = 1
[aws]
region = "eu-west-1"
owner_tag = "Owner"
sizes = ["t3.large", "t3.*"]
[ssh]
user = "dev"
identity_file = "~/.ssh/id_ed25519"
[vm.devbox]
host = "devbox.internal"
port = 22
[polling]
fast_seconds = 2
slow_seconds = 30
[tunnels]
ports = ["8000", "8080:80"]
[autostop]
stop_at = "19:00"
fri = "17:00"
idle_minutes = 60
[connect]
project = "~/src/app"
"""

DEVTRAY = """
import time, sys
started = time.perf_counter()
from desktop.core.config import load_config
load_config(__import__("pathlib").Path(sys.argv[1]))
print((time.perf_counter() - started) * 1000)
"""

PYDANTIC = """
import time
started = time.perf_counter()
import pydantic
class Ssh(pydantic.BaseModel):
    user: str | None = None
    port: int | None = pydantic.Field(default=None, ge=1, le=65535)
Ssh(user="dev", port=22)
print((time.perf_counter() - started) * 1000)
"""

MSGSPEC = """
import time
started = time.perf_counter()
import msgspec
from typing import Annotated
class Ssh(msgspec.Struct):
    user: str | None = None
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] | None = None
msgspec.convert({"user": "dev", "port": 22}, Ssh)
print((time.perf_counter() - started) * 1000)
"""


def timed_ms(python: str, code: str, *args: str, root: Path = ROOT) -> float:
    """One fresh interpreter's own timing of `code`, run in `root` (whose `desktop` it gets)."""
    result = subprocess.run(
        [python, "-c", code, *args], capture_output=True, text=True, check=True, cwd=root
    )
    return float(result.stdout)


def median_ms(python: str, code: str, runs: int, *args: str) -> float:
    """The median of `runs` fresh interpreters' own timing of `code`."""
    return statistics.median(timed_ms(python, code, *args) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--python-with-msgspec", help="an interpreter that can import msgspec")
    parser.add_argument("--baseline", type=Path, help="another devtray checkout to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.toml"
        config.write_text(FULL_CONFIG)
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(args.runs):  # alternating: a machine that slows down slows both
            ours.append(timed_ms(sys.executable, DEVTRAY, str(config)))
            if args.baseline:
                theirs.append(timed_ms(sys.executable, DEVTRAY, str(config), root=args.baseline))
    rows = [("devtray config: import + load", statistics.median(ours))]
    if theirs:
        rows.append((f"  the same in {args.baseline}", statistics.median(theirs)))
        ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
        print(f"ratio this/baseline: median of runs {statistics.median(ratios):.2f}")
    rows.append(("pydantic: import + 1 model", median_ms(sys.executable, PYDANTIC, args.runs)))
    if args.python_with_msgspec:
        rows.append(
            ("msgspec: import + 1 struct", median_ms(args.python_with_msgspec, MSGSPEC, args.runs))
        )
    for label, value in rows:
        print(f"{label:<34} {value:7.1f} ms (median of {args.runs})")


if __name__ == "__main__":
    main()
