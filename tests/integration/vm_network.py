"""The network in front of moto's VM: the loopback sshd is reachable only while moto says the
VM is running (a stopped VM answers nobody), checked afresh for every connection.

A stand-in for the cloud's network, which moto does not have: a loopback TCP forwarder.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from tests.integration.connect_helpers import write_config
from tests.moto_server import ec2_client
from tests.sshd import SshServer

CHUNK = 256 * 1024


def _running(vm_id: str) -> bool:
    reservations = ec2_client().describe_instances(InstanceIds=[vm_id])["Reservations"]
    return bool(reservations[0]["Instances"][0]["State"]["Name"] == "running")


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(CHUNK):
            target.sendall(data)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        return


def _carry(client: socket.socket, vm_id: str, sshd_port: int) -> None:
    with client:
        if not _running(vm_id):
            return  # closed before any byte: what ssh sees of a stopped VM's address
        with socket.create_connection(("127.0.0.1", sshd_port), timeout=10) as server:
            server.settimeout(None)
            up = threading.Thread(target=_pump, args=(client, server), daemon=True)
            up.start()
            _pump(server, client)
            up.join(timeout=30)


@contextlib.contextmanager
def vm_network(vm_id: str, sshd_port: int) -> Iterator[int]:
    """A loopback port that leads to `sshd_port` while the VM runs; yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: the test is over
            threading.Thread(target=_carry, args=(client, vm_id, sshd_port), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept (Linux)
        listener.close()
        acceptor.join(timeout=5)


def write_config_via(config_file: Path, sshd: SshServer, port: int) -> None:
    """devtray's config (as `write_config`), with the VM reached through `port` (the network)."""
    write_config(config_file, sshd)
    text = config_file.read_text()
    assert f"port = {sshd.port}\n" in text
    config_file.write_text(text.replace(f"port = {sshd.port}\n", f"port = {port}\n"))
