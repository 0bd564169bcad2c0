"""The simulated demo VM's tunnels: real sockets on 127.0.0.1, an echo server as the VM's app."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from desktop.core.errors import BadConfig
from desktop.core.forwards import Forward
from desktop.remote.local_forward import LocalForwards
from desktop.remote.tunnels import PortInUse, TunnelState, free_loopback_port, port_accepts
from tests.sync_helpers import wait_until


@pytest.fixture
def echo_port() -> Iterator[int]:
    """A server on 127.0.0.1 that sends back what it receives (one thread per client)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    done = threading.Event()

    def serve(client: socket.socket) -> None:
        with client:
            while data := client.recv(65536):
                client.sendall(data)

    def accept() -> None:
        while not done.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    done.set()
    thread.join(5)
    server.close()


def _receive(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_bytes_go_both_ways_and_count_as_traffic(echo_port: int) -> None:
    local = free_loopback_port()
    forwards = LocalForwards()
    forwards.start([Forward(local, "localhost", echo_port)])
    try:
        assert forwards.wait_ready(0)
        (status,) = forwards.statuses()
        assert status.state is TunnelState.UP
        assert status.describe() == f"localhost:{local} -> localhost:{echo_port}: up"
        payload = bytes(range(256)) * 1024  # 256 KiB
        with socket.create_connection(("127.0.0.1", local), timeout=10) as client:
            client.sendall(payload)
            assert _receive(client, len(payload)) == payload
        traffic = forwards.traffic()
        assert traffic.bytes == 2 * len(payload)  # there and back
        assert traffic.new_connections == 1
        again = forwards.traffic()
        assert (again.bytes, again.new_connections) == (0, 0)
    finally:
        forwards.stop()


def test_stop_closes_the_listener_and_open_connections(echo_port: int) -> None:
    local = free_loopback_port()
    forwards = LocalForwards()
    forwards.start([Forward(local, "127.0.0.1", echo_port)])
    with socket.create_connection(("127.0.0.1", local), timeout=10) as client:
        client.sendall(b"ping")
        assert _receive(client, 4) == b"ping"
        forwards.stop()
        assert client.recv(1) == b""  # the forwarder closed its side
    assert not port_accepts(local)
    assert forwards.statuses() == []
    wait_until(
        lambda: not [t for t in threading.enumerate() if t.name == f"forward-{local}"],
        what="the listener thread ended",
    )


def test_only_this_computer_is_dialled_and_a_taken_port_is_named(echo_port: int) -> None:
    forwards = LocalForwards()
    with pytest.raises(BadConfig, match="cannot reach db.internal"):
        forwards.start([Forward(free_loopback_port(), "db.internal", 5432)])
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse, match=f"Local port {port} is already in use"):
            forwards.start([Forward(port, "localhost", echo_port)])
    assert forwards.statuses() == []
