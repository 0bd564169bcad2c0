"""SSH through the devtray alias vs plain ssh, connection sharing, and tunnel recovery.

Against a real sshd on 127.0.0.1 (never anything else), side by side in one run:

1. first connection: `ssh ALIAS` (no shared connection yet) vs `ssh -p PORT -i KEY 127.0.0.1`
   with the same key — target ratio <= 1.1;
2. second connection: `ssh ALIAS` while the shared connection is up — target <= 0.3 x (1);
3. tunnel recovery: kill -9 the tunnel's ssh, time until the forward accepts again — target
   median <= 2 s.

Run: `.venv/bin/python benchmarks/ssh_connect.py [--rounds N]`
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.core.forwards import Forward
from desktop.remote.supervisor import Supervisor
from desktop.remote.tunnels import Tunnels, TunnelState, port_accepts
from tests.integration.connect_helpers import alias_config
from tests.sshd import SshServer, free_port, make_sshd

ALIAS = "bench.devtray"


def _timed(argv: Sequence[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    return time.perf_counter() - started


def _setup(root: Path) -> tuple[SshServer, Path]:
    sshd = make_sshd(root / "sshd")
    sshd.start()
    return sshd, alias_config(root / "home", sshd, name="bench").path


# What each connection runs on the VM: the sftp subsystem (sshd's internal-sftp, no shell) to
# measure the connection itself, and `true` through the user's shell, which adds whatever the
# remote ~/.bashrc costs (on this machine: pyenv init, ~0.2-0.4 s) to every connection alike.
REMOTE = {"subsystem": ("-s", "{host}", "sftp"), "shell": ("{host}", "true")}


def measure_connections(
    sshd: SshServer, config: Path, rounds: int, remote: Sequence[str]
) -> dict[str, float]:
    """Medians of plain first, alias first and alias second (shared) connections."""
    ssh = shutil.which("ssh") or "ssh"

    def command(*options: str, host: str) -> list[str]:
        return [ssh, *options, *(word.format(host=host) for word in remote)]

    plain = command(*sshd.ssh_args(), host="127.0.0.1")
    alias = command("-F", str(config), "-o", "BatchMode=yes", host=ALIAS)
    close = [ssh, "-F", str(config), "-O", "exit", ALIAS]
    _timed(plain)  # pin the baseline's host key and warm both paths once
    _timed(alias)
    subprocess.run(close, capture_output=True, timeout=10, check=False)
    plain_times, first_times, second_times = [], [], []
    for _ in range(rounds):
        plain_times.append(_timed(plain))
        first_times.append(_timed(alias))
        second_times.append(_timed(alias))
        subprocess.run(close, capture_output=True, timeout=10, check=False)
    return {
        "plain": statistics.median(plain_times),
        "alias_first": statistics.median(first_times),
        "alias_second": statistics.median(second_times),
    }


def measure_tunnel_recovery(config: Path, log_dir: Path, rounds: int) -> list[float]:
    """Seconds from kill -9 of the tunnel's ssh until its forward is up again, per round."""
    supervisor = Supervisor(log_dir)
    ssh = Path(shutil.which("ssh") or "ssh")
    tunnels = Tunnels(supervisor, ssh, ALIAS, ssh_config=config)
    local = free_port()
    try:
        tunnels.start([Forward(local, "localhost", 22)])
        if not tunnels.wait_ready(30):
            raise SystemExit(f"tunnel never came up: {tunnels.statuses()}")
        times = []
        for _ in range(rounds):
            [pid] = tunnels.pids()
            started = time.perf_counter()
            os.kill(pid, signal.SIGKILL)
            deadline = started + 30
            while time.perf_counter() < deadline:
                [status] = tunnels.statuses()
                if status.state is TunnelState.UP and tunnels.pids() not in ([], [pid]):
                    break
                time.sleep(0.005)
            if not port_accepts(local):
                raise SystemExit("tunnel reported up but the port does not accept")
            times.append(time.perf_counter() - started)
            time.sleep(0.3)
        return times
    finally:
        supervisor.stop_all()


def main() -> int:
    """Run all three measurements and print the figures with their targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dt-bench-", dir="/tmp") as scratch:
        sshd, config = _setup(Path(scratch))
        try:
            results = {
                name: measure_connections(sshd, config, args.rounds, remote)
                for name, remote in REMOTE.items()
            }
            recovery = measure_tunnel_recovery(config, Path(scratch) / "children", args.rounds)
        finally:
            sshd.stop()
    print(f"rounds: {args.rounds}, medians; loadavg {os.getloadavg()[0]:.1f}")
    ok = True
    for name, conn in results.items():
        ratio = conn["alias_first"] / conn["plain"]
        shared = conn["alias_second"] / conn["alias_first"]
        print(f"-- remote side: {name} ({' '.join(REMOTE[name]).format(host='HOST')})")
        print(f"   plain ssh -p PORT 127.0.0.1   {conn['plain'] * 1000:7.1f} ms")
        print(f"   ssh {ALIAS} (first)   {conn['alias_first'] * 1000:7.1f} ms")
        print(f"   ssh {ALIAS} (shared)  {conn['alias_second'] * 1000:7.1f} ms")
        print(f"   first via alias / plain       {ratio:7.2f}   (target <= 1.10)")
        print(f"   shared / first                {shared:7.2f}   (target <= 0.30)")
        if name == "subsystem":
            ok = ok and ratio <= 1.1 and shared <= 0.3
    median_recovery = statistics.median(recovery)
    print(
        f"tunnel back after kill -9         {median_recovery * 1000:7.1f} ms median, "
        f"max {max(recovery) * 1000:.0f} ms   (target <= 2000 ms)"
    )
    ok = ok and median_recovery <= 2.0
    print("targets met (connection = subsystem rows)" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
