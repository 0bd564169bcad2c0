"""A real OpenSSH server on a free 127.0.0.1 port, with its own host key and a client key.

Used by every test that needs an SSH peer (connect, tunnels, sync, the idle agent).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_tool

START_TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = START_TIMEOUT) -> None:
    """Block until 127.0.0.1:port accepts a connection (bounded by `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
    )


@dataclass
class SshServer:
    """A running sshd and what a client needs to reach it."""

    root: Path
    port: int
    user: str
    client_key: Path
    host_key: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def host_public_key(self) -> str:
        """The server's public host key line (`ssh-ed25519 AAAA...`)."""
        return self.host_key.with_suffix(".pub").read_text().split(" #")[0].strip()

    def start(self) -> None:
        """Start (or restart) sshd on the same port; returns once it accepts connections."""
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir
        log = (self.root / "sshd.log").open("ab")
        self.process = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(self.root / "sshd_config")],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        wait_for_port(self.port)

    def stop(self) -> None:
        """Stop sshd (existing sessions are cut too)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def ssh_args(self, known_hosts: Path | None = None) -> list[str]:
        """`ssh` options that reach this server with the client key and no user config."""
        known = known_hosts or self.root / "client_known_hosts"
        return [
            "-F",
            "/dev/null",
            "-p",
            str(self.port),
            "-i",
            str(self.client_key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f"UserKnownHostsFile={known}",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=5",
            "-l",
            self.user,
        ]


def make_sshd(root: Path) -> SshServer:
    """Prepare keys and config for a key-only sshd in `root` (not started)."""
    require_tool("sshd", "ssh", "ssh-keygen")
    root.mkdir(parents=True, exist_ok=True)
    host_key = root / "host_ed25519"
    client_key = root / "client_ed25519"
    _keygen(host_key, "devtray-test-host")
    _keygen(client_key, "devtray-test-client")
    authorized = root / "authorized_keys"
    authorized.write_text(client_key.with_suffix(".pub").read_text())
    authorized.chmod(0o600)
    port = free_port()
    user = (
        os.environ.get("USER")
        or subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    )
    (root / "sshd_config").write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"AuthorizedKeysFile {authorized}",
                f"PidFile {root / 'sshd.pid'}",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "AllowTcpForwarding yes",
                "AllowStreamLocalForwarding yes",
                "MaxStartups 100:30:200",
                "MaxSessions 100",
                "LogLevel VERBOSE",
                "Subsystem sftp internal-sftp",
                "",
            ]
        )
    )
    return SshServer(root=root, port=port, user=user, client_key=client_key, host_key=host_key)


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshServer]:
    """A started sshd on 127.0.0.1 for one test."""
    server = make_sshd(tmp_path / "sshd")
    server.start()
    try:
        yield server
    finally:
        server.stop()
