"""Shared set-up for the connect tests: a moto VM whose SSH address is the test sshd."""

from __future__ import annotations

import io
import os
import signal
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from desktop.app import build_services
from desktop.cli.main import main
from desktop.core.config import Config, ConnectConfig, SshSettings
from desktop.core.model import Addresses, VmSnapshot, VmState
from desktop.remote.ssh_config import SshConfigWriter, default_paths
from tests.moto_server import run_instance
from tests.sshd import SshServer, free_port

REPO = Path(__file__).parents[2]


def write_config(config_file: Path, sshd: SshServer, vm_name: str = "devbox") -> None:
    """devtray's config: the VM called `vm_name` is reached at the test sshd on 127.0.0.1."""
    config_file.write_text(
        f'[aws]\nregion = "eu-west-1"\n\n[vm."{vm_name}"]\n'
        f'host = "127.0.0.1"\nport = {sshd.port}\nuser = "{sshd.user}"\n'
        f'identity_file = "{sshd.client_key}"\n'
    )


def devtray(*argv: str) -> tuple[int, str, str]:
    """Run the real CLI in-process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), build_services, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def ssh_via_alias(config: Path, alias: str, *command: str) -> subprocess.CompletedProcess[str]:
    """The real ssh client, reading only `config` (OpenSSH finds ~ through passwd, not HOME)."""
    return subprocess.run(
        ["ssh", "-F", str(config), "-o", "BatchMode=yes", alias, *command],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )


@contextmanager
def shared_connections_closed(config: Path, *aliases: str) -> Iterator[None]:
    """Close the ControlMaster processes `ssh ALIAS` leaves (ControlPersist) at the end."""
    try:
        yield
    finally:
        for alias in aliases:
            subprocess.run(
                ["ssh", "-F", str(config), "-O", "exit", alias],
                capture_output=True,
                timeout=10,
                check=False,
            )


def moto_vm(name: str = "devbox") -> str:
    """A running moto instance tagged for the caller; returns its id."""
    return run_instance(name)


def alias_config(
    home: Path, sshd: SshServer, name: str = "devbox", *, start_on_connect: bool = False
) -> SshConfigWriter:
    """Write `home`/.ssh/config with `<name>.devtray` reaching the test sshd (no cloud).

    `start_on_connect`: with devtray's ProxyCommand, which relays at once while the sshd
    answers (it would look the VM up, in a cloud there is none of, only if it did not)."""
    vm = VmSnapshot(
        "aws",
        "i-0123456789abcdef0",
        name,
        "eu-west-1",
        VmState.RUNNING,
        "t3.micro",
        Addresses(public_ip="203.0.113.9"),  # never dialled: the [ssh] host override wins
    )
    settings = SshSettings(
        host="127.0.0.1", port=sshd.port, user=sshd.user, identity_file=str(sshd.client_key)
    )
    writer = SshConfigWriter(home / ".ssh" / "config", default_paths(home))
    connect = ConnectConfig(start_on_connect=start_on_connect)
    writer.refresh([vm], Config(ssh=settings, connect=connect))
    return writer


def cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI as a child process, in this test's environment (plus `env`)."""
    return subprocess.run(
        [sys.executable, "-m", "desktop", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


class TunnelsCli:
    """`devtray tunnels PROJECT` running as a child process (the environment: this test's)."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "desktop", "tunnels", str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        )

    def wait_ready(self) -> None:
        assert self.process.stdout is not None
        lines = [self.process.stdout.readline() for _ in range(2)]
        if lines[-1] != "Ready\n":
            self.process.wait(15)
            assert self.process.stderr is not None
            raise AssertionError((lines, self.process.returncode, self.process.stderr.read()))

    def ssh_pid(self) -> int:
        [ssh] = [p for p in psutil.Process(self.process.pid).children() if p.name().endswith("ssh")]
        return ssh.pid

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(15)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class _Pong(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"pong\n")  # then hangs up: the forward's side closes first


@contextmanager
def pong_server() -> Iterator[int]:
    """A TCP service "on the VM" (the VM is this machine) that answers `pong`; its port."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Pong)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def ssh_g(config: Path, alias: str) -> dict[str, str]:
    """What `ssh -G` resolves for `alias` with `config` (first value of each keyword)."""
    result = subprocess.run(
        ["ssh", "-G", "-F", str(config), alias], capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 0, result.stderr
    options: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        options.setdefault(key, value)
    return options


def tunnels_project(parent: Path, remote_port: int) -> tuple[Path, int]:
    """`parent`/project whose .devtray.toml forwards a free local port to `remote_port`."""
    folder = parent / "project"
    folder.mkdir()
    local = free_port()
    (folder / ".devtray.toml").write_text(f'ports = ["{local}:{remote_port}"]\n')
    return folder, local
