"""What the tunnel meter reads on Linux: noise (keep-alives, readiness probes) vs real traffic.

Against a real sshd on 127.0.0.1 (never anything else), one `ssh -N -L` tunnel as the tray runs
it, in front of an echo service. Each row is one look of `Tunnels.traffic()` after something
happened, side by side with the payload bytes the client really moved through the forward
(the baseline), and whether auto-stop would call it activity (> TUNNEL_NOISE_BYTES).

Run: `.venv/bin/python benchmarks/tunnel_noise.py [--idle 60] [--probes 10]`
"""

from __future__ import annotations

import argparse
import shutil
import socket
import socketserver
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.core.autostop import TUNNEL_NOISE_BYTES
from desktop.core.forwards import Forward
from desktop.remote.supervisor import Supervisor
from desktop.remote.tunnels import TrafficMeter, Tunnels, port_accepts
from tests.integration.connect_helpers import alias_config
from tests.sshd import free_port, make_sshd


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


def _request(port: int, size: int) -> int:
    """One connection that sends `size` bytes and reads them back; the payload moved."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"x" * size)
        received = 0
        while received < size:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += len(chunk)
    return size + received


def main() -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of an idle tunnel")
    parser.add_argument("--probes", type=int, default=10, help="readiness probes in a row")
    args = parser.parse_args()
    if not TrafficMeter().measure_bytes:
        print("this OS does not count a process's socket bytes: nothing to measure")
        return 0
    work = Path(tempfile.mkdtemp(prefix="devtray-tunnel-noise-"))
    echo = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    echo.daemon_threads = True
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    sshd = make_sshd(work / "sshd")
    sshd.start()
    supervisor = Supervisor(work / "children")
    local = free_port()
    tunnels = Tunnels(
        supervisor,
        Path(shutil.which("ssh") or "ssh"),
        "devbox.devtray",
        ssh_config=alias_config(work / "home", sshd).path,
    )
    rows: list[tuple[str, int, int]] = []
    try:
        tunnels.start([Forward(local, "localhost", int(echo.server_address[1]))])
        if not tunnels.wait_ready(30):
            print(f"tunnel did not come up: {tunnels.statuses()}")
            return 1
        tunnels.traffic()  # baseline
        time.sleep(args.idle)
        rows.append((f"idle {args.idle:g} s (keep-alives every 5 s)", 0, _bytes(tunnels)))
        for _ in range(args.probes):
            port_accepts(local)
        rows.append((f"{args.probes} readiness probes", 0, _bytes(tunnels)))
        for label, size in (("one 1 KiB request", 1024), ("one 64 KiB exchange", 65536)):
            moved = _request(local, size)
            rows.append((label, moved, _bytes(tunnels)))
        moved = sum(_request(local, 4096) for _ in range(20))
        rows.append(("20 requests of 4 KiB", moved, _bytes(tunnels)))
    finally:
        tunnels.stop()
        supervisor.stop_all()
        sshd.stop()
        echo.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    print(f"threshold: {TUNNEL_NOISE_BYTES:,} bytes per tick")
    print(f"{'what happened':42} {'payload':>9} {'meter':>9}  activity")
    for label, payload, measured in rows:
        print(f"{label:42} {payload:>9,} {measured:>9,}  {measured > TUNNEL_NOISE_BYTES}")
    return 0


def _bytes(tunnels: Tunnels) -> int:
    return tunnels.traffic().bytes or 0


if __name__ == "__main__":
    sys.exit(main())
