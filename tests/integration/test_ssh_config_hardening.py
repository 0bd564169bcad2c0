"""The SSH block under hostile names, odd config files, SSM, Docker and `-F`: the CLI as a
child process against moto and the real ssh client (and sshd on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from desktop.core.config import Config, ConnectConfig
from desktop.core.model import Addresses, VmSnapshot, VmState
from desktop.remote.known_hosts import HostKeyError, check_host_key
from desktop.remote.ssh_config import BEGIN_MARKER, SshConfigWriter, SsmProxy, default_paths
from tests.conftest import REQUIRE_ALL, require_tool
from tests.integration.connect_helpers import (
    TunnelsCli,
    cli,
    moto_vm,
    ssh_g,
    tunnels_project,
    write_config,
)
from tests.moto_server import MotoEndpoint, ec2_client
from tests.sshd import SshServer

ALIAS = "devbox.devtray"


def _block_aliases(config: Path) -> list[str]:
    return re.findall(r"^Host ([a-z0-9.-]+)$", config.read_text(), re.MULTILINE)


@pytest.fixture
def reachable(moto: MotoEndpoint, sshd: SshServer, config_file: Path) -> None:
    moto_vm("devbox")
    write_config(config_file, sshd)


# -- 7: one alias per VM -------------------------------------------------------------------------


def test_every_vm_gets_its_own_alias_whatever_the_names(
    moto: MotoEndpoint, config_file: Path, isolated_home: Path
) -> None:
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    first = moto_vm("devbox")
    moto_vm("devbox")
    moto_vm(f"devbox-{first}")  # equal to the first VM's alias once the two clash
    long = "a-very-long-virtual-machine-name-for-the-data-team"  # 50 characters
    moto_vm(long + "-one")
    moto_vm(long + "-two")
    result = cli("ssh-config")
    assert result.returncode == 0, result.stderr
    ssh_config = isolated_home / ".ssh" / "config"
    aliases = _block_aliases(ssh_config)
    assert len(aliases) == 5 and len(set(aliases)) == 5, aliases
    # ssh reaches a different VM (here: a different moto address) through each alias
    hostnames = {ssh_g(ssh_config, alias)["hostname"] for alias in aliases}
    assert len(hostnames) == 5
    again = cli("ssh-config")
    assert again.returncode == 0 and "Up to date" in again.stderr
    assert _block_aliases(ssh_config) == aliases
    listed = json.loads(cli("status", "--json").stdout)
    assert sorted(vm["ssh_alias"] for vm in listed) == sorted(aliases)


# -- 8: an included Host * ------------------------------------------------------------------------


def test_an_included_host_star_does_not_override_the_block(
    reachable: None, sshd: SshServer, isolated_home: Path
) -> None:
    ssh_dir = isolated_home / ".ssh"
    ssh_dir.mkdir()
    (ssh_dir / "work.conf").write_text("Host *\n  User intruder\n  Port 2222\n")
    ssh_config = ssh_dir / "config"
    ssh_config.write_text(f"Include {ssh_dir / 'work.conf'}\n\nHost other\n  User me\n")
    result = cli("ssh-config")
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    options = ssh_g(ssh_config, ALIAS)
    assert (options["user"], options["port"]) == (sshd.user, str(sshd.port))
    text = ssh_config.read_text()
    assert text.index(BEGIN_MARKER) < text.index("Include")


def test_a_line_that_still_wins_is_named(
    reachable: None, sshd: SshServer, isolated_home: Path
) -> None:
    ssh_config = isolated_home / ".ssh" / "config"
    ssh_config.parent.mkdir()
    ssh_config.write_text("# mine\nPort 2200\nHost other\n  User me\n")
    result = cli("ssh-config")
    assert result.returncode == 0, result.stderr
    assert (
        f"warning: ssh uses port '2200' for {ALIAS}, not '{sshd.port}': "
        f"{ssh_config} line 2: Port 2200 overrides it"
    ) in result.stderr


# -- 9: SSM errors -------------------------------------------------------------------------------

# Stands in for `aws ssm start-session` (moto has no SSM sessions): fails the way an expired
# sign-in does.
FAKE_AWS = """#!/bin/sh
echo "Error when retrieving token from sso: Token has expired and refresh failed" >&2
exit 255
"""


def test_an_ssm_proxy_error_reaches_the_user(isolated_home: Path, tmp_path: Path) -> None:
    aws = tmp_path / "bin" / "aws"
    aws.parent.mkdir()
    aws.write_text(FAKE_AWS)
    aws.chmod(0o755)
    vm = VmSnapshot(
        "aws", "i-0123456789abcdef0", "devbox", "eu-west-1", VmState.RUNNING, "t3.micro",
        Addresses(),  # no address: reached through SSM
    )  # fmt: skip
    writer = SshConfigWriter(
        isolated_home / ".ssh" / "config", default_paths(isolated_home), ssm=SsmProxy(aws)
    )
    # No cloud behind this VM: no start-on-connect step before the SSM proxy.
    change = writer.refresh([vm], Config(connect=ConnectConfig(start_on_connect=False)))
    assert "ProxyCommand" in dict(change.entries[0].options)
    result = subprocess.run(
        ["ssh", "-F", str(writer.path), "-o", "BatchMode=yes", ALIAS, "true"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 255
    assert "Token has expired" in result.stderr, result.stderr
    # devtray's own ssh runs name the proxy's reason, not ssh's "Connection closed"
    with pytest.raises(HostKeyError, match="Token has expired"):
        check_host_key(
            Path(shutil.which("ssh") or "ssh"),
            ALIAS,
            default_paths(isolated_home).known_hosts,
            ssh_config=writer.path,
        )


# -- 10: a config devtray cannot or must not write ----------------------------------------------


def _can_mount() -> bool:
    return sys.platform.startswith("linux") and os.geteuid() == 0 and bool(shutil.which("mount"))


@contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """`folder` read-only for everyone, root included: a read-only bind mount of itself (the
    way a Nix store or a read-only home-manager folder behaves)."""
    if not _can_mount():
        if REQUIRE_ALL:
            pytest.fail("needs root and mount (read-only bind mounts)")
        pytest.skip("needs root and mount (read-only bind mounts)")
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _tunnels_come_up(folder: Path) -> None:
    tunnels = TunnelsCli(folder)
    try:
        tunnels.wait_ready()
        assert tunnels.stop() == 0
        assert tunnels.process.stderr is not None
        assert "Going on with the block already there" in tunnels.process.stderr.read()
    finally:
        tunnels.kill()


def test_a_config_linked_into_a_read_only_folder(
    reachable: None, isolated_home: Path, tmp_path: Path
) -> None:
    ssh_config = isolated_home / ".ssh" / "config"
    assert cli("ssh-config").returncode == 0
    store = tmp_path / "store"  # what home-manager links ~/.ssh/config into
    store.mkdir()
    # The block there is an older one (another keep-alive): devtray would rewrite it.
    old = ssh_config.read_text().replace("ServerAliveInterval 15", "ServerAliveInterval 30")
    (store / "ssh_config").write_text(old)
    ssh_config.unlink()
    ssh_config.symlink_to(store / "ssh_config")
    folder, _ = tunnels_project(tmp_path, 22)
    with _read_only(store):
        result = cli("ssh-config")
        assert result.returncode == 2, result.stderr
        assert f"{ssh_config} (a link to {store / 'ssh_config'})" in result.stderr
        assert "Read-only file system" in result.stderr
        assert "home-manager" in result.stderr and "Traceback" not in result.stderr
        _tunnels_come_up(folder)  # needs no new block: goes on with the one there
    assert (store / "ssh_config").read_text() == old and ssh_config.is_symlink()


def test_a_read_only_ssh_folder_without_a_block(
    reachable: None, isolated_home: Path, tmp_path: Path
) -> None:
    ssh_dir = isolated_home / ".ssh"
    ssh_dir.mkdir(mode=0o500)
    folder, _ = tunnels_project(tmp_path, 22)
    with _read_only(ssh_dir):
        for argv in (["ssh-config"], ["tunnels", str(folder)]):
            result = cli(*argv)
            assert result.returncode == 2, (argv, result.stderr)
            assert f"devtray cannot write its block into {ssh_dir / 'config'}" in result.stderr
            assert "Traceback" not in result.stderr


def test_a_symlink_loop_is_named(reachable: None, isolated_home: Path, tmp_path: Path) -> None:
    ssh_dir = isolated_home / ".ssh"
    ssh_dir.mkdir()
    (ssh_dir / "config").symlink_to(ssh_dir / "config.real")
    (ssh_dir / "config.real").symlink_to(ssh_dir / "config")
    folder, _ = tunnels_project(tmp_path, 22)
    for argv in (["ssh-config"], ["tunnels", str(folder)]):
        result = cli(*argv)
        assert result.returncode == 2, (argv, result.stderr)
        assert f"{ssh_dir / 'config'} is a symlink loop" in result.stderr
    assert (ssh_dir / "config").is_symlink()


def test_a_read_only_config_is_not_replaced(reachable: None, isolated_home: Path) -> None:
    ssh_config = isolated_home / ".ssh" / "config"
    ssh_config.parent.mkdir()
    ssh_config.write_text("Host mine\n  User me\n")
    ssh_config.chmod(0o444)
    result = cli("ssh-config")
    assert result.returncode == 2, result.stderr
    assert "it is read-only (mode 0444)" in result.stderr
    assert ssh_config.read_text() == "Host mine\n  User me\n"
    assert stat.S_IMODE(ssh_config.stat().st_mode) == 0o444


def test_the_temp_file_of_a_killed_write_is_removed_by_the_next(
    reachable: None, isolated_home: Path
) -> None:
    ssh_dir = isolated_home / ".ssh"
    ssh_dir.mkdir()
    # What atomic_write's mkstemp leaves when the writer dies before its rename.
    leftover = ssh_dir / ".config.k1ll3d.tmp"
    leftover.write_text("half a block")
    unrelated = ssh_dir / ".config.swp"
    unrelated.write_text("an editor's")
    result = cli("ssh-config")
    assert result.returncode == 0, result.stderr
    assert not leftover.exists() and unrelated.exists()


# -- 11: Docker contexts -------------------------------------------------------------------------


def _contexts() -> dict[str, str]:
    listed = subprocess.run(
        ["docker", "context", "ls", "--format", "{{json .}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    return {row["Name"]: row["DockerEndpoint"] for row in rows}


def test_the_context_of_a_vm_that_is_gone_is_removed(
    moto: MotoEndpoint, config_file: Path, isolated_home: Path
) -> None:
    require_tool("docker")
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    moto_vm("devbox")
    gone = moto_vm("old-box")
    in_use = moto_vm("busy-box")
    for name, host in (("mine", "ssh://mine"), ("hand.devtray", "ssh://hand.devtray")):
        subprocess.run(
            ["docker", "context", "create", name, "--docker", f"host={host}"],
            capture_output=True,
            check=True,
            timeout=30,
        )
    assert cli("ssh-config").returncode == 0
    assert {"devbox.devtray", "old-box.devtray", "busy-box.devtray"} <= set(_contexts())
    use = ["docker", "context", "use", "busy-box.devtray"]
    subprocess.run(use, capture_output=True, check=True, timeout=30)
    ec2_client().terminate_instances(InstanceIds=[gone, in_use])
    result = cli("ssh-config")
    assert result.returncode == 0, result.stderr
    assert "docker context old-box.devtray removed" in result.stderr
    # The one in use is not pulled from under the user: the warning says how to remove it.
    assert "warning: docker context busy-box.devtray: its VM is gone" in result.stderr
    assert "docker context use default && docker context rm busy-box.devtray" in result.stderr
    contexts = _contexts()
    assert "old-box.devtray" not in contexts
    assert {"devbox.devtray", "busy-box.devtray", "mine", "hand.devtray"} <= set(contexts)


# -- 12: every ssh gets -F -----------------------------------------------------------------------

SSH_SHIM = """#!/bin/sh
# Records every ssh devtray runs; refuses one without -F (it would read another config).
printf '%s\\n' "$*" >> "{log}"
for arg in "$@"; do [ "$arg" = "-F" ] && exec "{ssh}" "$@"; done
echo "ssh shim: no -F" >&2
exit 255
"""


def test_every_ssh_devtray_runs_names_the_config_file(
    reachable: None, isolated_home: Path, tmp_path: Path
) -> None:
    real_ssh = shutil.which("ssh")
    assert real_ssh is not None
    bin_dir = tmp_path / "shim"
    bin_dir.mkdir()
    log = tmp_path / "ssh-argv.log"
    (bin_dir / "ssh").write_text(SSH_SHIM.format(log=log, ssh=real_ssh))
    (bin_dir / "ssh").chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    ssh_config = str(isolated_home / ".ssh" / "config")
    for argv in (
        ["ssh-config"],
        ["host-key"],
        ["agent", "status"],
        ["autostop", "snooze", "30m"],
    ):
        result = cli(*argv, env=env)
        assert "ssh shim: no -F" not in result.stderr, (argv, result.stderr)
        assert result.returncode == 0, (argv, result.stderr)
    folder, _ = tunnels_project(tmp_path, 22)
    tunnels = TunnelsCli(folder, env=env)
    try:
        tunnels.wait_ready()
        assert tunnels.stop() == 0
    finally:
        tunnels.kill()
    runs = log.read_text().splitlines()
    assert len(runs) >= 5
    for run in runs:
        assert f"-F {ssh_config} " in run, run
