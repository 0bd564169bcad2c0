"""`devtray tunnels` as a child process: a restart right after traffic, after a crash, and a
tunnel ssh that hangs (SIGSTOP) instead of dying; the same hang of the sync's shared connection."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from desktop.remote.supervisor import Supervisor
from desktop.remote.sync.link import SharedConnection
from desktop.remote.sync.target import SshTarget
from tests.integration.connect_helpers import (
    TunnelsCli,
    alias_config,
    moto_vm,
    tunnels_project,
    write_config,
)
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer

ALIAS = "devbox.devtray"


def _ping(port: int, timeout: float = 5.0) -> bytes:
    """The service's answer, read until it hangs up.

    Reading to the end makes the tunnel's side close first, so its port (not ours) is the one
    left in TIME_WAIT: closing on the first bytes raced the tunnel's own close, and a CI run
    under load lost all three races."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        while len(answer) < 64 and (chunk := sock.recv(16)):
            answer += chunk
    return answer


def _time_wait_on(port: int) -> bool:
    return any(
        c.laddr and c.laddr.port == port and c.status == psutil.CONN_TIME_WAIT
        for c in psutil.net_connections(kind="tcp")
    )


@pytest.fixture
def project(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path, service: int
) -> tuple[Path, int]:
    moto_vm("devbox")
    write_config(config_file, sshd)
    return tunnels_project(tmp_path, service)


def test_tunnels_start_again_at_once_after_traffic_and_after_a_crash(
    project: tuple[Path, int],
) -> None:
    folder, local = project
    first = TunnelsCli(folder)
    try:
        first.wait_ready()
        for _ in range(3):
            assert _ping(local) == b"pong\n"
        assert first.stop() == 0
    finally:
        first.kill()
    assert _time_wait_on(local)  # what the old free-port check read as "in use"

    second = TunnelsCli(folder)
    try:
        second.wait_ready()
        assert _ping(local) == b"pong\n"
        orphan = second.ssh_pid()
        second.process.kill()  # a crash: its ssh (own session) is left behind
        second.process.wait()
        assert psutil.pid_exists(orphan)
    finally:
        second.kill()

    third = TunnelsCli(folder)
    try:
        third.wait_ready()  # reaped the orphan, then bound the port in TIME_WAIT
        assert not psutil.pid_exists(orphan) or psutil.Process(orphan).status() == "zombie"
        assert _ping(local) == b"pong\n"
        assert third.stop() == 0
    finally:
        third.kill()


def test_a_stopped_tunnel_ssh_is_replaced(project: tuple[Path, int]) -> None:
    folder, local = project
    cli = TunnelsCli(folder)
    try:
        cli.wait_ready()
        assert _ping(local) == b"pong\n"
        hung = cli.ssh_pid()
        os.kill(hung, signal.SIGSTOP)
        stopped_at = time.monotonic()
        answered = None
        # The kernel still accepts on the stopped ssh's port; only an answer counts.
        while time.monotonic() - stopped_at < 10 and answered is None:
            try:
                if _ping(local, timeout=0.5) == b"pong\n":
                    answered = time.monotonic() - stopped_at
            except OSError:
                time.sleep(0.05)
        assert answered is not None, "the tunnel never came back from a stopped ssh"
        assert cli.ssh_pid() != hung
        assert not psutil.pid_exists(hung) or psutil.Process(hung).status() == "zombie"
        assert cli.stop() == 0
    finally:
        cli.kill()


def test_a_stopped_shared_connection_is_replaced(
    sshd: SshServer, isolated_home: Path, tmp_path: Path
) -> None:
    """The sync's master connection (`ssh -M`), stopped: runs over it come back."""
    ssh_config = alias_config(isolated_home, sshd).path
    target = SshTarget(ALIAS, "~/src", ssh_argv=("ssh", "-F", str(ssh_config)))
    with Supervisor(tmp_path / "children") as supervisor:
        link = SharedConnection(target, supervisor, "ssh-master")
        try:
            assert link.open(20)
            hung = supervisor.children["ssh-master"].pid
            assert hung is not None
            os.kill(hung, signal.SIGSTOP)
            stopped_at = time.monotonic()
            answered = False
            while time.monotonic() - stopped_at < 10 and not answered:
                try:
                    run = subprocess.run(
                        [*link.ssh_argv(), ALIAS, "echo", "over-the-link"],
                        capture_output=True,
                        text=True,
                        timeout=2,  # a run over the stopped master hangs
                        stdin=subprocess.DEVNULL,
                        check=False,
                    )
                except subprocess.TimeoutExpired:
                    continue
                answered = link.up and run.stdout.strip() == "over-the-link"
            assert answered, "runs never came back from a stopped master"
            assert supervisor.children["ssh-master"].pid != hung
        finally:
            link.close()
