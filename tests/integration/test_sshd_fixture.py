"""The sshd fixture itself: a real server a real client can log in to, key-only."""

from __future__ import annotations

import subprocess

from tests.sshd import SshServer


def test_real_ssh_client_runs_a_command(sshd: SshServer) -> None:
    result = subprocess.run(
        ["ssh", *sshd.ssh_args(), "127.0.0.1", "echo", "hello"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello"


def test_password_login_is_refused(sshd: SshServer) -> None:
    result = subprocess.run(
        [
            "ssh",
            *sshd.ssh_args(),
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password",
            "127.0.0.1",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 255
    assert "Permission denied" in result.stderr
