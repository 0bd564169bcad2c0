"""Start on connect through the real `ssh ALIAS`: moto's VM, the loopback sshd as its SSH.

devtray's block runs `devtray connect-proxy` as the ProxyCommand, from a folder whose name has a
space (the installed `devtray` script stands in a folder like "Application Support"): the
quoting is what ssh's shell really sees.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paramiko
import pytest

from desktop.core.config import SshSettings
from desktop.core.model import VmSnapshot, VmState
from desktop.remote.ssh_config import (
    BEGIN_MARKER,
    END_MARKER,
    SsmProxy,
    default_paths,
    host_entry,
    render_block,
    with_start_on_connect,
)
from desktop.system.bundle import cli_command
from tests.conftest import require_tool
from tests.integration.connect_helpers import (
    devtray,
    moto_vm,
    shared_connections_closed,
    ssh_via_alias,
)
from tests.integration.vm_network import vm_network, write_config_via
from tests.moto_server import MotoEndpoint, ec2_client
from tests.sshd import SshServer, free_port

ALIAS = "devbox.devtray"
REFUSAL = "devbox was stopped on purpose"
PTY_READ_SECONDS = 30.0


@pytest.fixture
def devtray_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `devtray` script in a folder with a space, first on PATH (as pip installs one)."""
    folder = tmp_path / "Application Support" / "bin"
    folder.mkdir(parents=True)
    script = folder / "devtray"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m desktop "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return script


def _state(vm_id: str) -> str:
    reservations = ec2_client().describe_instances(InstanceIds=[vm_id])["Reservations"]
    return str(reservations[0]["Instances"][0]["State"]["Name"])


def _cloud_stop(vm_id: str) -> None:
    """A stop nobody asked devtray for (auto-stop, a schedule, the console)."""
    ec2_client().stop_instances(InstanceIds=[vm_id])
    assert _state(vm_id) == "stopped"


def _block(ssh_config: Path) -> str:
    text = ssh_config.read_text()
    return text[text.index(BEGIN_MARKER) : text.index(END_MARKER)]


Setup = Callable[..., tuple[str, Path]]


@pytest.fixture
def setup(
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    isolated_home: Path,
    devtray_on_path: Path,
) -> Iterator[Setup]:
    """`setup(extra_config="")`: the moto VM "devbox" behind the loopback sshd (reachable only
    while moto says it runs) and devtray's block written by `devtray ssh-config`; returns
    (VM id, the SSH config file)."""
    networks = contextlib.ExitStack()

    def build(extra: str = "") -> tuple[str, Path]:
        vm_id = moto_vm("devbox")
        port = networks.enter_context(vm_network(vm_id, sshd.port))
        write_config_via(config_file, sshd, port)
        if extra:
            config_file.write_text(config_file.read_text() + extra)
        code, _, err = devtray("ssh-config")
        assert code == 0, err
        return vm_id, isolated_home / ".ssh" / "config"

    with networks:
        yield build


def test_ssh_starts_a_vm_the_cloud_stopped(setup: Setup, devtray_on_path: Path) -> None:
    vm_id, ssh_config = setup()
    assert f'ProxyCommand "{devtray_on_path}" connect-proxy {ALIAS} %h %p' in _block(ssh_config)
    _cloud_stop(vm_id)

    with shared_connections_closed(ssh_config, ALIAS):
        result = ssh_via_alias(ssh_config, ALIAS, "echo", "reached")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "reached"
    assert _state(vm_id) == "running"


def test_ssh_leaves_a_vm_the_user_stopped_and_says_why(setup: Setup) -> None:
    vm_id, ssh_config = setup()
    code, _, err = devtray("stop", "devbox")
    assert code == 0, err
    assert _state(vm_id) == "stopped"

    # Without connection sharing (as on Windows) ssh shows the ProxyCommand's stderr as it is.
    result = subprocess.run(
        [
            "ssh",
            "-F",
            str(ssh_config),
            "-o",
            "BatchMode=yes",
            "-o",
            "ControlPath=none",
            ALIAS,
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 255
    assert REFUSAL in result.stderr
    assert "by `devtray stop`" in result.stderr
    assert "devtray start devbox" in result.stderr
    assert _state(vm_id) == "stopped"


def test_the_refusal_reaches_the_terminal_when_ssh_hides_the_proxys_stderr(setup: Setup) -> None:
    """ControlPersist (in devtray's block) sends a ProxyCommand's stderr to /dev/null: a person
    typing `ssh ALIAS` in a terminal still reads why."""
    vm_id, ssh_config = setup()
    assert devtray("stop", "devbox")[0] == 0
    output, code = _in_terminal(["ssh", "-F", str(ssh_config), "-o", "BatchMode=yes", ALIAS])
    assert code == 255
    assert REFUSAL in output and "devtray start devbox" in output
    assert _state(vm_id) == "stopped"


def test_a_vm_started_again_after_the_users_stop_starts_on_connect_once_stopped_by_the_cloud(
    setup: Setup,
) -> None:
    vm_id, ssh_config = setup("\n[connect]\nstart_on_connect_grace = 0.001\n")
    assert devtray("stop", "devbox")[0] == 0
    time.sleep(0.1)  # the grace (0.06 s) is over
    with shared_connections_closed(ssh_config, ALIAS):
        result = ssh_via_alias(ssh_config, ALIAS, "true")
    assert result.returncode == 0, result.stderr
    assert _state(vm_id) == "running"


def test_start_on_connect_off_writes_no_proxy_command(setup: Setup) -> None:
    _, ssh_config = setup("\n[connect]\nstart_on_connect = false\n")
    assert "ProxyCommand" not in _block(ssh_config)
    parsed = paramiko.SSHConfig.from_path(str(ssh_config)).lookup(ALIAS)
    assert "proxycommand" not in parsed
    with shared_connections_closed(ssh_config, ALIAS):
        assert ssh_via_alias(ssh_config, ALIAS, "true").returncode == 0


def test_the_relay_carries_a_few_megabytes_both_ways_intact(setup: Setup, tmp_path: Path) -> None:
    require_tool("scp")
    _, ssh_config = setup()
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(6 * 1024 * 1024))
    on_vm = tmp_path / "vm" / "copy.bin"
    on_vm.parent.mkdir()
    back = tmp_path / "back.bin"
    scp = ["scp", "-q", "-F", str(ssh_config), "-o", "BatchMode=yes"]
    # No shared connection: each copy runs its own ProxyCommand relay.
    for source, target in (
        (str(payload), f"{ALIAS}:{on_vm}"),
        (f"{ALIAS}:{on_vm}", str(back)),
    ):
        result = subprocess.run(
            [*scp, "-o", "ControlPath=none", source, target],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, result.stderr
    digest = hashlib.sha256(payload.read_bytes()).hexdigest()
    assert hashlib.sha256(on_vm.read_bytes()).hexdigest() == digest
    assert hashlib.sha256(back.read_bytes()).hexdigest() == digest


def _in_terminal(argv: list[str]) -> tuple[str, int]:
    """Run `argv` with a pseudo-terminal as its controlling terminal; (output, exit code)."""
    process, master = _spawn_in_terminal(argv)
    output = b""
    deadline = time.monotonic() + PTY_READ_SECONDS
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every process holding the terminal has gone
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    return output.decode("utf-8", "replace"), process.wait(timeout=10)


def _spawn_in_terminal(argv: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    """Start `argv` with a new pseudo-terminal as its controlling terminal; (it, the master)."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=lambda: _take_terminal(slave),
    )
    os.close(slave)
    return process, master


def _take_terminal(fd: int) -> None:
    import fcntl
    import termios

    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)


def test_a_vm_reached_through_ssm_is_started_before_the_ssm_proxy_runs(
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    isolated_home: Path,
    tmp_path: Path,
) -> None:
    """The SSM session itself is not in moto: a named fake `aws` carries the bytes to the
    loopback sshd (through the same relay) and records how it was called."""
    vm_id = moto_vm("devbox")
    _cloud_stop(vm_id)
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    called = tmp_path / "fake-aws-argv"
    fake_aws = tmp_path / "fake aws cli" / "aws"
    fake_aws.parent.mkdir()
    fake_aws.write_text(
        f'#!/bin/sh\necho "$@" > "{called}"\nexec "{sys.executable}" -c "import sys; '
        "from desktop.remote.relay import relay, wait_for_ssh; "
        f"s, first = wait_for_ssh('127.0.0.1', {sshd.port}, 10, what='fake SSM'); "
        'relay(s, first, sys.stdin.buffer, sys.stdout.buffer)"\n'
    )
    fake_aws.chmod(0o755)
    stopped = VmSnapshot("aws", vm_id, "devbox", "eu-west-1", VmState.STOPPED, "t3.micro")
    settings = SshSettings(port=sshd.port, user=sshd.user, identity_file=str(sshd.client_key))
    entry = host_entry(
        stopped, ALIAS, settings, default_paths(isolated_home), ssm=SsmProxy(aws_cli=fake_aws)
    )
    assert entry is not None
    ssh_config = isolated_home / ".ssh" / "config"
    ssh_config.parent.mkdir(mode=0o700)
    ssh_config.write_bytes(render_block([with_start_on_connect(entry, cli_command())]))

    with shared_connections_closed(ssh_config, ALIAS):
        result = ssh_via_alias(ssh_config, ALIAS, "echo", "reached")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "reached"
    assert _state(vm_id) == "running"
    assert called.read_text().split()[:4] == ["ssm", "start-session", "--target", vm_id]


def test_an_alias_with_no_vm_behind_it_fails_with_a_hint(setup: Setup) -> None:
    setup()
    _proxy = [sys.executable, "-m", "desktop", "connect-proxy"]
    result = subprocess.run(
        # Nothing answers there (the fast path falls through to the lookup).
        [*_proxy, "gone.devtray", "127.0.0.1", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "No VM of yours is behind gone.devtray" in result.stderr
    assert "devtray ssh-config" in result.stderr
    assert result.stdout == ""  # ssh's side of the pipe stays clean


def test_a_running_vm_is_reached_without_asking_the_cloud(setup: Setup) -> None:
    """Every new connection runs the ProxyCommand: when the VM's SSH answers, it relays at once.
    With the cloud unreachable (a closed loopback port), ssh still gets through."""
    _, ssh_config = setup()
    no_cloud = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    unshared = ["-o", "BatchMode=yes", "-o", "ControlPath=none"]
    result = subprocess.run(
        ["ssh", "-F", str(ssh_config), *unshared, ALIAS, "echo", "reached"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        env=no_cloud,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "reached"


def test_an_interactive_session_through_the_relay_answers_each_line(setup: Setup) -> None:
    """A terminal session (small writes both ways, nothing closes in between) through the fast
    path's relay: each command's answer arrives while the session stays open."""
    _, ssh_config = setup()
    argv = ["ssh", "-tt", "-F", str(ssh_config), "-o", "BatchMode=yes", "-o", "ControlPath=none"]
    process, master = _spawn_in_terminal([*argv, ALIAS])
    try:
        for number in range(3):
            os.write(master, f"echo answer-$(( {number} + 40 ))\n".encode())
            _read_until(master, f"answer-{number + 40}".encode())
        os.write(master, b"exit\n")
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        os.close(master)


def _read_until(fd: int, expected: bytes) -> None:
    """Read the terminal until `expected` shows (the typed command echoes it differently)."""
    seen = b""
    deadline = time.monotonic() + PTY_READ_SECONDS
    while expected not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no {expected!r} within {PTY_READ_SECONDS} s; the terminal showed {seen!r}"
        seen += os.read(fd, 65536)
