"""Host keys with a real sshd: pinned on first use, a rebuild explained, the new key trusted."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from desktop.core.config import load_config
from desktop.providers.aws.ec2 import Ec2Provider
from desktop.remote.known_hosts import (
    HostKey,
    HostKeyError,
    KeyStatus,
    check_host_key,
    console_fingerprints,
    pinned_keys,
    trust_new_key,
)
from tests.integration.connect_helpers import (
    alias_config,
    devtray,
    moto_vm,
    shared_connections_closed,
    ssh_via_alias,
    write_config,
)
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer

ALIAS = "devbox.devtray"


def _host_key(sshd: SshServer) -> HostKey:
    key_type, blob = sshd.host_public_key.split()[:2]
    return HostKey(key_type, blob)


def _fingerprint_by_ssh_keygen(public_key_file: Path) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(public_key_file)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[1]


def _rebuild(sshd: SshServer) -> None:
    """The VM was rebuilt: same address, new host key."""
    sshd.stop()
    sshd.host_key.unlink()
    sshd.host_key.with_suffix(".pub").unlink()
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(sshd.host_key)], check=True
    )
    sshd.start()


def test_fingerprints_match_ssh_keygen(sshd: SshServer) -> None:
    expected = _fingerprint_by_ssh_keygen(sshd.host_key.with_suffix(".pub"))
    assert _host_key(sshd).fingerprint == expected


def test_a_changed_key_is_explained_and_can_be_trusted(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, isolated_home: Path
) -> None:
    moto_vm("devbox")
    write_config(config_file, sshd)
    assert devtray("ssh-config")[0] == 0
    ssh_config = isolated_home / ".ssh" / "config"
    with shared_connections_closed(ssh_config, ALIAS):
        assert ssh_via_alias(ssh_config, ALIAS, "true").returncode == 0
    code, out, _ = devtray("host-key")
    assert code == 0
    assert "is the pinned one" in out
    old = _host_key(sshd)

    _rebuild(sshd)
    new = _host_key(sshd)
    refused = ssh_via_alias(ssh_config, ALIAS, "true")
    assert refused.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in refused.stderr

    code, out, _ = devtray("host-key")
    assert code == 1
    assert f"pinned:  {old.fingerprint} (ED25519)" in out
    assert f"offered: {new.fingerprint} (ED25519)" in out
    assert "--trust" in out

    code, out, err = devtray("host-key", "--trust")
    assert code == 0, err
    assert f"now trusting {new.fingerprint}" in out
    known = isolated_home / ".ssh" / "devtray_known_hosts"
    assert pinned_keys(known, ALIAS) == [new]
    with shared_connections_closed(ssh_config, ALIAS):
        assert ssh_via_alias(ssh_config, ALIAS, "true").returncode == 0


CONSOLE = """\
[   12.3] cloud-init[600]: Cloud-init v. 23.4 running 'modules:config'
ec2: #############################################################
ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----
ec2: 256 {fingerprint} root@ip-172-31-20-192 (ED25519)
ec2: -----END SSH HOST KEY FINGERPRINTS-----
ec2: #############################################################
-----BEGIN SSH HOST KEY KEYS-----
{key} root@ip-172-31-20-192
-----END SSH HOST KEY KEYS-----
"""


def test_the_console_fingerprints_vouch_for_a_key_or_block_trusting_it(
    sshd: SshServer, isolated_home: Path, tmp_path: Path
) -> None:
    writer = alias_config(isolated_home, sshd)
    key = _host_key(sshd)
    genuine = CONSOLE.format(fingerprint=key.fingerprint, key=sshd.host_public_key)
    assert console_fingerprints(genuine) == {key.fingerprint}
    known = writer.paths.known_hosts
    ssh = Path("/usr/bin/ssh")
    check = check_host_key(ssh, ALIAS, known, ssh_config=writer.path, console_output=genuine)
    assert (check.status, check.console_verified) == (KeyStatus.NEW, True)
    assert "matches the fingerprint the VM printed at boot" in check.explain()

    other = "SHA256:" + "A" * 43
    forged = CONSOLE.format(fingerprint=other, key="")
    check = check_host_key(ssh, ALIAS, known, ssh_config=writer.path, console_output=forged)
    assert check.console_verified is False
    with pytest.raises(HostKeyError, match="not among the fingerprints"):
        trust_new_key(known, check)
    assert not known.exists()


def test_hashed_known_hosts_entries_are_understood(sshd: SshServer, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    key = _host_key(sshd)
    known.write_text(f"other.devtray ssh-ed25519 {key.blob}\n{key.line(ALIAS)}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], capture_output=True, check=True)
    assert ALIAS not in known.read_text()
    assert pinned_keys(known, ALIAS) == [key]
    assert pinned_keys(known, "third.devtray") == []


def test_ec2_console_output_is_read_through_the_provider(moto: MotoEndpoint) -> None:
    vm_id = moto_vm("devbox")
    provider = Ec2Provider.from_config(load_config())
    output = provider.console_output(vm_id)
    assert output is not None and output.startswith("Linux version")  # moto's canned boot log
    assert console_fingerprints(output) == set()  # no cloud-init section: nothing to vouch
