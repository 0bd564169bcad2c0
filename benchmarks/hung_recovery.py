"""How long a tunnel is unusable after its ssh hangs (SIGSTOP), next to after it dies (SIGKILL).

Against a real sshd on 127.0.0.1 (never anything else), one supervised `ssh -N -L` tunnel as
the tray and `devtray tunnels` run it, in front of a service that answers `pong`. Each round
stops (or kills) the tunnel's ssh and measures the time until a request through the forward is
answered again. The target for both: at most 2 s.

Run: `.venv/bin/python benchmarks/hung_recovery.py [--rounds 10] [--start-on-connect]`
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.core.forwards import Forward
from desktop.remote.supervisor import Supervisor
from desktop.remote.tunnels import Tunnels
from tests.integration.connect_helpers import alias_config, pong_server
from tests.sshd import free_port, make_sshd

SIGNALS = (("SIGKILL (dies)", signal.SIGKILL), ("SIGSTOP (hangs)", signal.SIGSTOP))
GIVE_UP = 20.0  # seconds: a round that takes longer counts as never recovering


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            return sock.recv(16) == b"pong\n"
    except OSError:
        return False


def _round(tunnels: Tunnels, port: int, sig: signal.Signals) -> float:
    """Seconds from the signal to the first answer through the forward (inf: none)."""
    while not (tunnels.wait_ready(GIVE_UP) and _answers(port)):
        time.sleep(0.05)
    [pid] = tunnels.pids()
    os.kill(pid, sig)
    start = time.monotonic()
    time.sleep(0.01)
    while time.monotonic() - start < GIVE_UP:
        if _answers(port):
            return time.monotonic() - start
        time.sleep(0.02)
    return float("inf")


def main() -> int:
    """Measure and print medians and the worst round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds per signal")
    parser.add_argument(
        "--start-on-connect",
        action="store_true",
        help="the block with devtray's ProxyCommand (each reconnect runs `connect-proxy`)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="devtray-hung-recovery-"))
    sshd = make_sshd(work / "sshd")
    sshd.start()
    results: dict[str, list[float]] = {label: [] for label, _ in SIGNALS}
    try:
        with pong_server() as pong, Supervisor(work / "children") as supervisor:
            home = work / "home"
            ssh_config = alias_config(home, sshd, start_on_connect=args.start_on_connect).path
            proxied = "connect-proxy" in ssh_config.read_text()
            assert proxied == args.start_on_connect, "the block does not match --start-on-connect"
            ssh = Path(shutil.which("ssh") or "ssh")
            tunnels = Tunnels(supervisor, ssh, "devbox.devtray", ssh_config=ssh_config)
            local = free_port()
            tunnels.start([Forward(local, "localhost", pong)])
            for _ in range(args.rounds):  # alternate, so drift hits both alike
                for label, sig in (
                    ("SIGKILL (dies)", signal.SIGKILL),
                    ("SIGSTOP (hangs)", signal.SIGSTOP),
                ):
                    results[label].append(_round(tunnels, local, sig))
    finally:
        sshd.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"start on connect (ProxyCommand): {'on' if args.start_on_connect else 'off'}")
    print(f"{'tunnel ssh':18} {'median s':>9} {'worst s':>9}  rounds")
    for label, times in results.items():
        print(f"{label:18} {statistics.median(times):>9.2f} {max(times):>9.2f}  {len(times)}")
    died = statistics.median(results["SIGKILL (dies)"])
    hung = statistics.median(results["SIGSTOP (hangs)"])
    print(f"ratio hung/died (medians): {hung / died:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
