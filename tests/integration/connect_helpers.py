"""Shared set-up for the connect tests: a moto VM whose SSH address is the test sshd."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop.app import build_services
from desktop.cli.main import main
from desktop.core.config import Config, ConnectConfig, SshSettings
from desktop.core.model import Addresses, VmSnapshot, VmState
from desktop.remote.ssh_config import SshConfigWriter, default_paths
from tests.moto_server import run_instance
from tests.sshd import SshServer


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


def alias_config(home: Path, sshd: SshServer, name: str = "devbox") -> SshConfigWriter:
    """Write `home`/.ssh/config with `<name>.devtray` reaching the test sshd (no cloud)."""
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
    # No cloud behind this VM: no start-on-connect ProxyCommand (it would look the VM up).
    writer.refresh([vm], Config(ssh=settings, connect=ConnectConfig(start_on_connect=False)))
    return writer
