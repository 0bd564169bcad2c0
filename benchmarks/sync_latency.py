"""The sync engines vs plain rsync, side by side, on a 10,000-file tree, at a given latency.

Against a real sshd on 127.0.0.1 (never anything else), optionally behind `delay_proxy.py`
(`--rtt-ms 50`: 25 ms each way, like a laptop to a cloud region), for each engine (the agent
engine and the built-in rsync engine), in one run:

1. initial sync of 10,000 files / 100 MB: the engine's start-to-flushed time vs a plain
   `rsync -a` over ssh of the same tree through the same link (all without .git) — target
   ratio <= 1.2;
2. save -> file on the VM: median and p95 from a write on the laptop until the VM holds the
   new bytes, next to a one-shot `rsync` of the same change over the shared connection and the
   one-way floor of the link — targets (agent) at 50 ms RTT: median <= 120 ms, p95 <= 200 ms;
   on loopback: median <= 30 ms;
3. branch switch touching 1,000 files -> every one of them equal on the VM: median <= 2 s.

Run: `.venv/bin/python benchmarks/sync_latency.py --rtt-ms 0 50 [--files 10000] [--saves 30]`
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from delay_proxy import DelayProxy

from desktop.core.project import load_project
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync.agent import AgentEngine
from desktop.remote.sync.builtin import BuiltinEngine
from desktop.remote.sync.target import SshTarget, rsh_command
from tests.sshd import make_sshd

TOTAL_BYTES = 100 * 1024 * 1024
POLL = 0.002
WAIT_LIMIT = 30.0


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=300,
    )


def make_tree(root: Path, files: int, rng: random.Random) -> list[Path]:
    """`files` files in 100 folders, TOTAL_BYTES in all, committed to git on `main`."""
    size = TOTAL_BYTES // files
    paths = []
    for i in range(files):
        path = root / f"pkg{i % 100:02d}" / f"module_{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(size))
        paths.append(path)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "gc.auto", "0")  # no background repacking while rsync reads .git
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "tree")
    return paths


def make_branch(root: Path, paths: list[Path], touched: int, rng: random.Random) -> list[Path]:
    """A branch `other` that changes `touched` files (same size, new bytes)."""
    _git(root, "checkout", "-q", "-b", "other")
    changed = rng.sample(paths, touched)
    for path in changed:
        path.write_bytes(rng.randbytes(path.stat().st_size))
    _git(root, "commit", "-q", "-am", "other")
    _git(root, "checkout", "-q", "main")
    return changed


def _wait_for(check: Callable[[], bool]) -> float:
    """Seconds until `check()` holds (bounded by WAIT_LIMIT)."""
    started = time.perf_counter()
    while time.perf_counter() - started < WAIT_LIMIT:
        if check():
            return time.perf_counter() - started
        time.sleep(POLL)
    raise TimeoutError("the VM never caught up")


def _holds(path: Path, data: bytes) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return path.read_bytes() == data
        except OSError:
            return False

    return check


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


Factory = Callable[[Path, SshTarget, Supervisor], BuiltinEngine]
RSYNC = shutil.which("rsync") or "rsync"
ENGINES: dict[str, Factory] = {
    # As `auto` picks it where the laptop has rsync: bulk batches go through rsync.
    "agent": lambda local, target, sup: AgentEngine(
        load_project(local), target, supervisor=sup, rsync_path=RSYNC
    ),
    # Windows: no rsync on the laptop, the agent does everything.
    "agent-no-rsync": lambda local, target, sup: AgentEngine(
        load_project(local), target, supervisor=sup
    ),
    "builtin": lambda local, target, sup: BuiltinEngine(
        load_project(local), target, supervisor=sup, rsync_path=RSYNC
    ),
}
# Single saves never use rsync: the agent's figure holds for both of its variants.
SAVE_ENGINES = ("agent", "builtin")


@dataclass(frozen=True)
class Link:
    """How to reach the sshd: directly, or through the delaying proxy."""

    ssh_args: list[str]
    one_way_ms: float

    def target(self, remote: Path) -> SshTarget:
        return SshTarget("127.0.0.1", str(remote), ("ssh", *self.ssh_args))


def measure_initial(
    link: Link, local: Path, work: Path, supervisor: Supervisor, rounds: int
) -> dict[str, list[float]]:
    """Seconds per round for plain `rsync -a` and each engine, rotating who goes first."""
    times: dict[str, list[float]] = {"plain": [], **{kind: [] for kind in ENGINES}}
    ssh = rsh_command(["ssh", *link.ssh_args])
    for round_ in range(rounds):
        order = list(times)
        for who in order[round_ % len(order) :] + order[: round_ % len(order)]:
            remote = work / f"initial-{who}-{round_}"
            started = time.perf_counter()
            if who == "plain":
                # The same scope as the engines' push: the project without .git.
                subprocess.run(
                    [
                        "rsync",
                        "-a",
                        "--exclude=/.git/",
                        "-e",
                        ssh,
                        f"{local}/",
                        f"127.0.0.1:{remote}/",
                    ],
                    check=True,
                    timeout=600,
                )
            else:
                engine = ENGINES[who](local, link.target(remote), supervisor)
                engine.start()
                status = engine.flush(600)
                assert not status.has_unsynced_changes, status
                times[who].append(time.perf_counter() - started)
                engine.stop()
            if who == "plain":
                times[who].append(time.perf_counter() - started)
            shutil.rmtree(remote)
    return times


def measure_saves(
    engine: BuiltinEngine,
    local: Path,
    remote: Path,
    paths: list[Path],
    saves: int,
    oneshot: bool,
) -> tuple[list[float], list[float]]:
    """(engine save->VM seconds, one-shot rsync seconds if `oneshot`) for `saves` edits."""
    rng = random.Random(7)
    rsh = rsh_command(engine.ssh_argv())
    engine_times, oneshot_times = [], []
    for _ in range(saves):
        path = rng.choice(paths)
        rel = path.relative_to(local)
        data = rng.randbytes(path.stat().st_size)
        started = time.perf_counter()
        path.write_bytes(data)
        _wait_for(_holds(remote / rel, data))
        engine_times.append(time.perf_counter() - started)
        engine.flush(30)
        if not oneshot:
            continue
        # The baseline: the same change, one rsync over the same shared connection.
        engine.pause()
        data = rng.randbytes(path.stat().st_size)
        path.write_bytes(data)
        started = time.perf_counter()
        subprocess.run(
            ["rsync", "-rlpt", "--ignore-times", "-e", rsh, str(path), f"127.0.0.1:{remote / rel}"],
            check=True,
            timeout=60,
        )
        oneshot_times.append(time.perf_counter() - started)
        engine.resume()
        engine.flush(30)
    return engine_times, oneshot_times


def measure_switches(
    engine: BuiltinEngine, local: Path, remote: Path, changed: list[Path], switches: int
) -> list[float]:
    """Seconds from `git checkout` until every changed file on the VM equals the laptop's."""
    _git(local, "reset", "-q", "--hard")  # undo the saves of the previous measurement
    engine.flush(60)
    times = []
    for index in range(switches):
        branch = "other" if index % 2 == 0 else "main"
        started = time.perf_counter()
        _git(local, "checkout", "-q", branch)
        wanted = {path.relative_to(local): _digest(path) for path in changed}
        _wait_for(functools.partial(_all_equal, remote, wanted))
        times.append(time.perf_counter() - started)
        engine.flush(60)
    return times


def _all_equal(remote: Path, wanted: dict[Path, str]) -> bool:
    return all(_digest(remote / rel) == digest for rel, digest in wanted.items())


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms, p95 {_p95(values) * 1000:.0f} ms"


def run_at(
    link: Link,
    args: argparse.Namespace,
    local: Path,
    work: Path,
    supervisor: Supervisor,
    paths: list[Path],
    changed: list[Path],
) -> None:
    """Every measurement over one link, printed as it completes."""
    rtt = link.one_way_ms * 2
    print(f"--- RTT {rtt:.0f} ms (one-way floor {link.one_way_ms:.0f} ms)")
    initial = measure_initial(link, local, work, supervisor, args.initial_rounds)
    plain = statistics.median(initial["plain"])
    for kind in ENGINES:
        mine = statistics.median(initial[kind])
        print(
            f"initial sync {args.files} files: {kind} {mine:.2f}s vs plain rsync -a "
            f"{plain:.2f}s (ratio {mine / plain:.2f}, target <= 1.2)"
        )
    for kind, make in ENGINES.items():
        remote = work / f"vm-{kind}"
        engine = make(local, link.target(remote), supervisor)
        try:
            engine.start()
            engine.flush(600)
            time.sleep(1.0)  # let the rsync daemon come up, as it does during a working day
            if kind in SAVE_ENGINES:
                saves, oneshot = measure_saves(
                    engine, local, remote, paths, args.saves, oneshot=kind == "builtin"
                )
                print(f"save -> VM, {kind} engine: {_ms(saves)}")
                if oneshot:
                    print(f"save -> VM, one-shot rsync over the shared connection: {_ms(oneshot)}")
            switches = measure_switches(engine, local, remote, changed, args.switches)
            print(
                f"branch switch of 1,000 files, {kind} engine: median "
                f"{statistics.median(switches):.2f}s "
                f"(runs: {', '.join(f'{t:.2f}' for t in switches)}; target <= 2 s)"
            )
            _git(local, "checkout", "-q", "main")
            _git(local, "reset", "-q", "--hard")
        finally:
            engine.stop()
            shutil.rmtree(remote, ignore_errors=True)
    print(f"one-way floor: {link.one_way_ms:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--switches", type=int, default=5)
    parser.add_argument("--initial-rounds", type=int, default=1)
    parser.add_argument(
        "--rtt-ms",
        type=float,
        nargs="+",
        default=[0.0],
        help="round trip(s) to put in front of the sshd (0: plain loopback)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="devtray-bench-sync-"))
    sshd = make_sshd(work / "sshd")
    sshd.start()
    supervisor = Supervisor(work / "children")
    try:
        rng = random.Random(5)
        local = work / "project"
        local.mkdir()
        paths = make_tree(local, args.files, rng)
        changed = make_branch(local, paths, 1000, rng)
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        print(f"tree: {args.files} files, {size_mb:.0f} MB; sshd on 127.0.0.1:{sshd.port}")
        for rtt in args.rtt_ms:
            with contextlib.ExitStack() as stack:
                ssh_args = sshd.ssh_args()
                if rtt > 0:
                    proxy = stack.enter_context(DelayProxy(sshd.port, rtt / 2, lifetime=3600))
                    ssh_args[ssh_args.index("-p") + 1] = str(proxy.port)
                run_at(Link(ssh_args, rtt / 2), args, local, work, supervisor, paths, changed)
    finally:
        supervisor.stop_all()
        sshd.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DEVTRAY_LOG_DIR", tempfile.mkdtemp(prefix="devtray-bench-log-"))
    raise SystemExit(main())
