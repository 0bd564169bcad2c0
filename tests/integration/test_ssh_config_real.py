"""`devtray ssh-config` against a real sshd and the real ssh client, with a messy user config."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.remote.ssh_config import BEGIN_MARKER, END_MARKER, remove_block
from tests.integration.connect_helpers import (
    devtray,
    moto_vm,
    shared_connections_closed,
    ssh_g,
    ssh_via_alias,
    write_config,
)
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer

ALIAS = "devbox.devtray"


def _user_config(home: Path) -> bytes:
    """A config with Include, Match, Host *, comments, odd spacing and CRLF lines."""
    included = home / ".ssh" / "config.d"
    included.mkdir(parents=True)
    (included / "work").write_text("Host work\n  HostName 10.9.9.9\n")
    return (
        b"# personal settings\r\n"
        b"Include " + str(included).encode() + b"/*\r\n"
        b"   ForwardAgent   no\n"
        b"\r\n"
        b"# everything internal goes through the jump host\r\n"
        b"Match host *.internal\r\n"
        b"\tProxyJump jump\r\n"
        b"Host *\r\n"
        b"  User somebody-else\r\n"
        b"  ServerAliveInterval 60\r\n"
        b"  Port 2\r\n"
    )


def test_ssh_alias_works_and_user_bytes_are_unchanged(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, isolated_home: Path
) -> None:
    moto_vm("devbox")
    write_config(config_file, sshd)
    ssh_config = isolated_home / ".ssh" / "config"
    original = _user_config(isolated_home)
    ssh_config.write_bytes(original)

    code, out, err = devtray("ssh-config", "--dry-run")
    assert code == 0, err
    assert f"+Host {ALIAS}" in out
    assert ssh_config.read_bytes() == original

    code, out, err = devtray("ssh-config")
    assert code == 0, err
    assert f"{ALIAS}  ->  127.0.0.1" in out
    assert "warning" not in err
    written = ssh_config.read_bytes()
    assert remove_block(written, ssh_config) == original
    assert (ssh_config.parent / "config.devtray-backup").read_bytes() == original
    assert ssh_config.stat().st_mode & 0o777 == 0o600

    with shared_connections_closed(ssh_config, ALIAS):
        result = ssh_via_alias(ssh_config, ALIAS, "echo", "reached")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "reached"
    known = (isolated_home / ".ssh" / "devtray_known_hosts").read_text()
    assert known.startswith(f"{ALIAS} ssh-ed25519 ")
    assert sshd.host_public_key.split()[1] in known

    code, out, _ = devtray("status", "--json")
    assert json.loads(out)[0]["ssh_alias"] == ALIAS


def test_a_rerun_after_a_new_address_rewrites_only_the_block(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, isolated_home: Path
) -> None:
    moto_vm("devbox")
    ssh_config = isolated_home / ".ssh" / "config"
    original = _user_config(isolated_home)
    ssh_config.write_bytes(original)
    write_config(config_file, sshd)
    assert devtray("ssh-config")[0] == 0
    config_file.write_text(config_file.read_text().replace("127.0.0.1", "localhost"))
    code, _, err = devtray("ssh-config")
    assert code == 0, err
    written = ssh_config.read_bytes()
    assert b"HostName localhost" in written
    assert remove_block(written, ssh_config) == original


EVIL_NAMES = (
    "evil\nProxyCommand touch PWNED",
    "spaces and %h %r %% tokens",
    "ProxyCommand=sh -c 'touch PWNED'",
    'quote" IdentityFile /etc/shadow',
    "\tLocalCommand touch PWNED\r\nPermitLocalCommand yes",
)


def test_vm_names_cannot_inject_options(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, isolated_home: Path
) -> None:
    for name in EVIL_NAMES:
        moto_vm(name)
    moto_vm("devbox")
    write_config(config_file, sshd)
    code, _, err = devtray("ssh-config")
    assert code == 0, err
    ssh_config = isolated_home / ".ssh" / "config"
    text = ssh_config.read_text()
    block = text[text.index(BEGIN_MARKER) : text.index(END_MARKER)]
    assert "PWNED" not in block and "/etc/shadow" not in block
    allowed = re.compile(
        r"(#.*|Host \*|Host [a-z0-9.-]+|  [A-Za-z]+ [^%\n]*(%C\")?"
        r'|  ProxyCommand ("[^"$`\\\n]+" )+connect-proxy [a-z0-9.-]+ %h %p)'
    )
    for line in block.splitlines():
        assert allowed.fullmatch(line), line
    aliases = re.findall(r"^Host ([a-z0-9.-]+)$", block, re.MULTILINE)
    assert len(aliases) == len(EVIL_NAMES) + 1
    reference = _ssh_g(ssh_config, ALIAS)
    for alias in aliases:
        options = _ssh_g(ssh_config, alias)
        assert set(options) == set(reference), alias
        # The only command is devtray's start on connect, for this very alias.
        assert options["proxycommand"] == reference["proxycommand"].replace(ALIAS, alias)
        assert options["permitlocalcommand"] == "no"
        assert options["identityfile"] == reference["identityfile"] or alias != ALIAS
    with shared_connections_closed(ssh_config, ALIAS):
        assert ssh_via_alias(ssh_config, ALIAS, "true").returncode == 0
    assert not list(Path.cwd().glob("PWNED")) and not (isolated_home / "PWNED").exists()


def _ssh_g(config: Path, alias: str) -> dict[str, str]:
    options = ssh_g(config, alias)
    options.setdefault("proxycommand", "none")
    return options


_WRITER = """
import sys
from pathlib import Path

import pytest
from desktop.core.config import Config
from desktop.core.model import Addresses, VmSnapshot, VmState
from desktop.remote.ssh_config import EntryPaths, SshConfigWriter

path = Path(sys.argv[1])
paths = EntryPaths(known_hosts=path.parent / "kh", control_dir=None)
n = 0
print("go", flush=True)
while True:
    n += 1
    vms = [
        VmSnapshot("aws", f"i-{k:017x}", f"vm{k}", "eu-west-1", VmState.RUNNING, "t3.micro",
                   Addresses(public_ip=f"10.0.{n % 250}.{k}"))
        for k in range(1, 400)
    ]
    SshConfigWriter(path, paths).refresh(vms, Config())
"""


def test_kill_9_during_writes_leaves_an_old_or_new_file(tmp_path: Path) -> None:
    path = tmp_path / ".ssh" / "config"
    path.parent.mkdir()
    user = b"# mine\r\nHost *\r\n  User me\r\n"
    path.write_bytes(user)
    for attempt in range(15):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)],
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"go\n"
        time.sleep(0.05 + attempt * 0.013)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        data = path.read_bytes()
        assert remove_block(data, path) == user
        if data != user:
            assert data.count(b"\nHost vm") == 399
            assert data.rstrip().endswith(b"Host *\r\n  User me")


def test_a_user_line_above_the_block_that_wins_is_reported(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, isolated_home: Path
) -> None:
    moto_vm("devbox")
    write_config(config_file, sshd)
    ssh_config = isolated_home / ".ssh" / "config"
    ssh_config.parent.mkdir()
    ssh_config.write_text("User somebody-else\nHost *\n  ForwardAgent no\n")
    code, _, err = devtray("ssh-config")
    assert code == 0
    assert f"warning: ssh uses user 'somebody-else' for {ALIAS}, not '{sshd.user}'" in err


def test_doctor_names_the_tools_for_ssm(
    moto: MotoEndpoint, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    _, out, _ = devtray("doctor")
    lines = {line.split()[1]: line for line in out.splitlines() if len(line.split()) > 1}
    for name in ("aws", "session-manager-plugin"):
        assert name in lines, out
        if lines[name].startswith("--"):  # optional and missing: says what for and how to get it
            assert "docs.aws.amazon.com" in lines[name]
