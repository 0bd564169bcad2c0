"""Tunnels through a real sshd: forwarding, recovery after kills and sshd restarts, clean stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from desktop.core.forwards import Forward
from desktop.remote.supervisor import Backoff, Supervisor
from desktop.remote.tunnels import PortInUse, Tunnels, TunnelState
from tests.integration.connect_helpers import (
    alias_config,
    moto_vm,
    tunnels_project,
    write_config,
)
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer, free_port

ALIAS = "devbox.devtray"
QUICK = Backoff(initial=0.1, factor=2.0, maximum=0.5)


def _ping(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        return sock.recv(16)


def _eventually(check: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _ssh_processes(marker: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if process.info["status"] != psutil.STATUS_ZOMBIE and marker in " ".join(cmdline):
            found.append(process)
    return [p for p in found if p.pid != os.getpid() and p.info["cmdline"][0].endswith("ssh")]


@pytest.fixture
def tunnels(sshd: SshServer, isolated_home: Path, tmp_path: Path) -> Iterator[Tunnels]:
    ssh_config = alias_config(isolated_home, sshd).path
    supervisor = Supervisor(tmp_path / "children")
    ssh = Path(shutil.which("ssh") or "ssh")
    tunnels = Tunnels(supervisor, ssh, ALIAS, ssh_config=ssh_config, backoff=QUICK)
    try:
        yield tunnels
    finally:
        supervisor.stop_all()


def test_tunnel_forwards_and_comes_back_after_its_ssh_is_killed(
    tunnels: Tunnels, service: int
) -> None:
    local = free_port()
    tunnels.start([Forward(local, "localhost", service)])
    assert tunnels.wait_ready(20), tunnels.statuses()
    assert _ping(local) == b"pong\n"
    for _ in range(2):
        [pid] = tunnels.pids()
        os.kill(pid, signal.SIGKILL)
        _eventually(
            lambda pid=pid: (
                tunnels.pids() not in ([], [pid]) and tunnels.statuses()[0].state is TunnelState.UP
            )
        )
        assert _ping(local) == b"pong\n"


def test_tunnel_comes_back_after_sshd_restarts(
    tunnels: Tunnels, service: int, sshd: SshServer
) -> None:
    local = free_port()
    tunnels.start([Forward(local, "localhost", service)])
    assert tunnels.wait_ready(20)
    assert sshd.process is not None
    # Cut the live sessions too (a plain sshd restart keeps them), then stop the listener.
    for child in psutil.Process(sshd.process.pid).children(recursive=True):
        child.kill()
    sshd.stop()
    _eventually(lambda: tunnels.statuses()[0].state is not TunnelState.UP)
    time.sleep(0.5)  # a few failed attempts while sshd is down
    assert tunnels.statuses()[0].state in (TunnelState.RETRYING, TunnelState.CONNECTING)
    sshd.start()
    _eventually(lambda: tunnels.statuses()[0].state is TunnelState.UP, timeout=20)
    assert _ping(local) == b"pong\n"


def test_no_ssh_remains_after_stop(tunnels: Tunnels, service: int) -> None:
    ports = [free_port(), free_port()]
    tunnels.start([Forward(port, "localhost", service) for port in ports])
    assert tunnels.wait_ready(20)
    marker = str(tunnels.ssh_config)
    assert len(_ssh_processes(marker)) == 2
    tunnels.stop()
    assert _ssh_processes(marker) == []
    for port in ports:
        with pytest.raises(OSError):
            _ping(port)


def test_a_taken_local_port_names_the_program_holding_it(tunnels: Tunnels) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, sys, time\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
            "print(s.getsockname()[1], flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        port = int(holder.stdout.readline())
        with pytest.raises(PortInUse) as caught:
            tunnels.start([Forward(port, "localhost", 80)])
        message = str(caught.value)
        assert f"Local port {port} is already in use by python" in message
        assert f"pid {holder.pid}" in message
        assert tunnels.statuses() == []
    finally:
        holder.kill()
        holder.wait()


def test_devtray_tunnels_runs_until_ctrl_c_and_leaves_no_ssh(
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    isolated_home: Path,
    tmp_path: Path,
    service: int,
) -> None:
    moto_vm("devbox")
    write_config(config_file, sshd)
    project, local = tunnels_project(tmp_path, service)
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "tunnels", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
        assert lines == [f"localhost:{local} -> localhost:{service}: up\n", "Ready\n"], (
            lines,
            process.stderr.read() if process.poll() is not None and process.stderr else "",
        )
        assert _ping(local) == b"pong\n"
        assert len(_ssh_processes(str(isolated_home))) == 1
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert _ssh_processes(str(isolated_home)) == []


def test_a_port_taken_while_the_tunnel_was_down_is_named_in_its_reason(
    sshd: SshServer, isolated_home: Path, tmp_path: Path, service: int
) -> None:
    ssh_config = alias_config(isolated_home, sshd).path
    slow = Backoff(initial=1.5, factor=2.0, maximum=3.0)
    with Supervisor(tmp_path / "children") as supervisor:
        tunnels = Tunnels(
            supervisor,
            Path(shutil.which("ssh") or "ssh"),
            ALIAS,
            ssh_config=ssh_config,
            backoff=slow,
        )
        local = free_port()
        tunnels.start([Forward(local, "localhost", service)])
        assert tunnels.wait_ready(20)
        [pid] = tunnels.pids()
        os.kill(pid, signal.SIGKILL)
        _eventually(lambda: tunnels.statuses()[0].state is TunnelState.RETRYING)
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import socket, time\n"
                "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                f"s.bind(('127.0.0.1', {local})); s.listen(); print('ok', flush=True)\n"
                "time.sleep(60)",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "ok\n"
            _eventually(
                lambda: "already in use by python" in (tunnels.statuses()[0].reason or ""),
                timeout=20,
            )
            assert f"pid {holder.pid}" in (tunnels.statuses()[0].reason or "")
        finally:
            holder.kill()
            holder.wait()
        _eventually(lambda: tunnels.statuses()[0].state is TunnelState.UP, timeout=20)
