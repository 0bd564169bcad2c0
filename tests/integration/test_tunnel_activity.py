"""Tunnel traffic as an idle signal, through a real `ssh -L` to a real sshd on 127.0.0.1.

A person's traffic through a forward counts; the supervisor's readiness probe (a connect and
close, `port_accepts`) and the tunnel's keep-alives do not. Linux measures bytes; elsewhere a
connection opened through the forward is the signal, exercised here with bytes switched off.
"""

from __future__ import annotations

import shutil
import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from desktop.core.autostop import TUNNEL_NOISE_BYTES, ActivitySample, is_active
from desktop.core.config import AutostopConfig
from desktop.core.forwards import Forward
from desktop.remote.supervisor import Backoff, Supervisor
from desktop.remote.tunnels import TrafficMeter, Tunnels, TunnelTraffic, port_accepts
from tests.integration.connect_helpers import alias_config
from tests.sshd import SshServer, free_port

ALIAS = "devbox.devtray"
PAYLOAD = 64 * 1024


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo() -> Iterator[int]:
    """A TCP echo service "on the VM" (the VM is this machine)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _tunnel(sshd: SshServer, home: Path, tmp_path: Path, meter: TrafficMeter) -> Tunnels:
    return Tunnels(
        Supervisor(tmp_path / "children"),
        Path(shutil.which("ssh") or "ssh"),
        ALIAS,
        ssh_config=alias_config(home, sshd).path,
        backoff=Backoff(initial=0.1, factor=2.0, maximum=0.5),
        meter=meter,
    )


def _exchange(sock: socket.socket, size: int) -> None:
    sock.sendall(b"x" * size)
    received = 0
    while received < size:
        chunk = sock.recv(65536)
        assert chunk, "the echo service hung up"
        received += len(chunk)


def _active(traffic: TunnelTraffic) -> bool:
    sample = ActivitySample(tunnel_bytes=traffic.bytes, tunnel_connections=traffic.new_connections)
    return is_active(sample, AutostopConfig(), since_tick=timedelta(minutes=1))


def test_bytes_through_a_forward_count_and_the_readiness_probe_does_not(
    sshd: SshServer, isolated_home: Path, tmp_path: Path, echo: int
) -> None:
    if not TrafficMeter().measure_bytes:
        pytest.skip("this OS does not count a process's socket bytes")
    local = free_port()
    tunnels = _tunnel(sshd, isolated_home, tmp_path, TrafficMeter(measure_bytes=True))
    try:
        tunnels.start([Forward(local, "localhost", echo)])
        assert tunnels.wait_ready(20), tunnels.statuses()
        assert tunnels.traffic() == TunnelTraffic(bytes=0, new_connections=0)  # baseline

        for _ in range(3):  # what the supervisor does to see that a tunnel is up
            assert port_accepts(local)
        probed = tunnels.traffic()
        assert probed.bytes is not None and probed.bytes < TUNNEL_NOISE_BYTES, probed
        assert not _active(probed)

        with socket.create_connection(("127.0.0.1", local), timeout=10) as client:
            _exchange(client, PAYLOAD)
        used = tunnels.traffic()
        # 64 KiB each way; ssh's own framing adds a little.
        assert used.bytes is not None and 2 * PAYLOAD <= used.bytes < 3 * PAYLOAD, used
        assert _active(used)
        quiet = tunnels.traffic()
        assert quiet.bytes is not None and quiet.bytes < TUNNEL_NOISE_BYTES
    finally:
        tunnels.stop()


def test_without_byte_counts_a_new_connection_counts_and_the_probe_does_not(
    sshd: SshServer, isolated_home: Path, tmp_path: Path, echo: int
) -> None:
    local = free_port()
    tunnels = _tunnel(sshd, isolated_home, tmp_path, TrafficMeter(measure_bytes=False))
    try:
        tunnels.start([Forward(local, "localhost", echo)])
        assert tunnels.wait_ready(20), tunnels.statuses()
        assert tunnels.traffic() == TunnelTraffic(bytes=None, new_connections=0)

        assert port_accepts(local)
        probed = tunnels.traffic()
        assert probed == TunnelTraffic(bytes=None, new_connections=0)
        assert not _active(probed)

        with socket.create_connection(("127.0.0.1", local), timeout=10) as client:
            _exchange(client, 16)
            opened = tunnels.traffic()
            assert opened == TunnelTraffic(bytes=None, new_connections=1)
            assert _active(opened)
            # Still open a tick later (a websocket, a database pool): not activity by itself.
            assert tunnels.traffic().new_connections == 0
    finally:
        tunnels.stop()
