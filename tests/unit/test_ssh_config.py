"""The managed block in ~/.ssh/config: placement, byte preservation, damaged markers, values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.core.config import Config, SshSettings
from desktop.core.errors import BadConfig
from desktop.core.model import Addresses, VmSnapshot, VmState
from desktop.remote.ssh_config import (
    BEGIN_MARKER,
    END_MARKER,
    EntryPaths,
    HostEntry,
    ManagedBlockError,
    SshConfigWriter,
    SsmProxy,
    alias_for,
    entries_for,
    host_entry,
    merge_block,
    previous_hostnames,
    remove_block,
    unique_aliases,
    write_ssh_config,
)

PATH = Path("/home/me/.ssh/config")
PATHS = EntryPaths(known_hosts=Path("/home/me/.ssh/devtray_known_hosts"), control_dir=None)
ENTRY = HostEntry("devbox.devtray", "i-0123456789abcdef0", (("HostName", "203.0.113.7"),))


def vm(name: str = "devbox", ip: str | None = "203.0.113.7", **kw: object) -> VmSnapshot:
    values: dict[str, object] = {
        "provider": "aws",
        "id": "i-0123456789abcdef0",
        "name": name,
        "region": "eu-west-1",
        "state": VmState.RUNNING,
        "size": "t3.micro",
        "addresses": Addresses(public_ip=ip),
    }
    values.update(kw)
    return VmSnapshot(**values)  # type: ignore[arg-type]


# -- aliases and values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("devbox", "devbox.devtray"),
        ("Dev Box #2", "dev-box-2.devtray"),
        ("evil\nProxyCommand touch /tmp/pwned", "evil-proxycommand-touch-tmp-pwned.devtray"),
        ("%h %p", "h-p.devtray"),
        ("über/../..", "ber.devtray"),
        ("***", "i-0123456789abcdef0.devtray"),
    ],
)
def test_alias_keeps_only_safe_characters(name: str, alias: str) -> None:
    assert alias_for(name, "i-0123456789abcdef0") == alias


def test_colliding_aliases_get_the_vm_id() -> None:
    a = vm("dev box", id="i-aaaaaaaaaaaaaaaa1")
    b = vm("dev-box", id="i-bbbbbbbbbbbbbbbb2")
    aliases = unique_aliases([a, b])
    assert aliases == {
        "i-aaaaaaaaaaaaaaaa1": "dev-box-i-aaaaaaaaaaaaaaaa1.devtray",
        "i-bbbbbbbbbbbbbbbb2": "dev-box-i-bbbbbbbbbbbbbbbb2.devtray",
    }


_NAMES = st.sampled_from(
    ["devbox", "Dev Box", "devbox-i-aaaaaaaaaaaaaaaa1", "x" * 60 + "1", "x" * 60 + "2", "***", ""]
) | st.text(max_size=70)


@settings(max_examples=300, deadline=None)
@given(names=st.lists(_NAMES, min_size=1, max_size=8), data=st.data())
def test_aliases_are_unique_safe_and_independent_of_order(
    names: list[str], data: st.DataObject
) -> None:
    vms = [vm(name, id=f"i-{index:017x}" if index % 2 else f"i-aaaaaaaaaaaaaaaa{index}")
           for index, name in enumerate(names)]  # fmt: skip
    aliases = unique_aliases(vms)
    assert len(set(aliases.values())) == len(vms)
    for alias in aliases.values():
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*\.devtray", alias), alias
    assert unique_aliases(data.draw(st.permutations(vms))) == aliases


def test_a_name_equal_to_another_vms_alias_does_not_take_it() -> None:
    a = vm("devbox", id="i-aaaaaaaaaaaaaaaa1")
    b = vm("devbox", id="i-bbbbbbbbbbbbbbbb2")
    c = vm("devbox-i-aaaaaaaaaaaaaaaa1", id="i-ccccccccccccccccc3")
    assert unique_aliases([a, b, c]) == {
        "i-aaaaaaaaaaaaaaaa1": "devbox-i-aaaaaaaaaaaaaaaa1.devtray",
        "i-bbbbbbbbbbbbbbbb2": "devbox-i-bbbbbbbbbbbbbbbb2.devtray",
        "i-ccccccccccccccccc3": "devbox-i-aaaaaaaaaaaaaaaa1-i-ccccccccccccccccc3.devtray",
    }


def test_the_idle_probe_finds_the_vms_alias_in_the_block_and_passes_dash_f(
    tmp_path: Path,
) -> None:
    from desktop.remote.idle_agent import ssh_to

    a = vm("devbox", id="i-aaaaaaaaaaaaaaaa1")
    b = vm("devbox", id="i-bbbbbbbbbbbbbbbb2")
    config = tmp_path / "config"
    SshConfigWriter(config, PATHS).refresh([a, b], Config())
    assert ssh_to(b, config)[:3] == ["ssh", "-F", str(config)]
    assert ssh_to(b, config)[-1] == "devbox-i-bbbbbbbbbbbbbbbb2.devtray"


@pytest.mark.parametrize(
    "address",
    ["1.2.3.4\nProxyCommand sh", "%h", "a b", "-oProxyCommand=x", "fe80::1%eth0", "x.com\n"],
)
def test_an_address_that_could_inject_is_refused(address: str) -> None:
    for settings_ in (SshSettings(host=address), SshSettings()):  # override, then cloud
        with pytest.raises(BadConfig, match="not an IP address or host name"):
            host_entry(vm(ip=address), "devbox.devtray", settings_, PATHS)


@pytest.mark.parametrize("user", ["ubuntu\nProxyCommand x", "a b", "%r", "-l", "root\n"])
def test_a_user_name_that_could_inject_is_refused(user: str) -> None:
    with pytest.raises(BadConfig, match="not a valid login name"):
        host_entry(vm(), "devbox.devtray", SshSettings(user=user), PATHS)


def test_entry_values_are_quoted_and_escaped() -> None:
    paths = EntryPaths(Path("/home/me 100%/.ssh/kh"), control_dir=Path("/home/me 100%/.ssh"))
    entry = host_entry(
        vm(),
        "devbox.devtray",
        SshSettings(user="ubuntu", port=2222, identity_file="/keys/my key"),
        paths,
    )
    assert entry is not None
    options = dict(entry.options)
    assert options["HostName"] == "203.0.113.7"
    assert options["Port"] == "2222"
    assert options["IdentityFile"] == '"/keys/my key"'
    assert options["UserKnownHostsFile"] == '"/home/me 100%%/.ssh/kh"'
    assert options["ControlPath"] == '"/home/me 100%%/.ssh/devtray-%C"'
    assert options["StrictHostKeyChecking"] == "accept-new"
    assert options["HostKeyAlias"] == "devbox.devtray"


def test_a_vm_without_address_uses_ssm_when_available_else_keeps_its_old_address() -> None:
    stopped = vm(ip=None, state=VmState.STOPPED)
    ssm = SsmProxy(aws_cli=Path("/usr/bin/aws"), profile="work")
    entry = host_entry(stopped, "devbox.devtray", SshSettings(), PATHS, ssm=ssm)
    assert entry is not None
    assert dict(entry.options)["ProxyCommand"] == (
        '"/usr/bin/aws" ssm start-session --target i-0123456789abcdef0 --document-name '
        "AWS-StartSSHSession --parameters portNumber=%p --region eu-west-1 --profile work"
    )
    kept = host_entry(stopped, "devbox.devtray", SshSettings(), PATHS, previous_hostname="1.2.3.4")
    assert kept is not None and kept.hostname == "1.2.3.4"
    assert host_entry(stopped, "devbox.devtray", SshSettings(), PATHS) is None


def test_the_config_override_wins_over_the_cloud_address() -> None:
    config = Config(vms={"devbox": SshSettings(host="127.0.0.1", port=2200)})
    [entry] = entries_for([vm()], config, PATHS)
    assert entry.hostname == "127.0.0.1"
    assert dict(entry.options)["Port"] == "2200"


# -- placement ------------------------------------------------------------------------------------

USER_CONFIG = (
    b"# my settings\r\n"
    b"Include ~/.ssh/config.d/*\r\n"
    b"AddKeysToAgent yes\r\n"
    b"\r\n"
    b"# the jump host\r\n"
    b"Host jump\r\n"
    b"    HostName jump.example.com\r\n"
    b"Match host *.internal\r\n"
    b"  ProxyJump jump\r\n"
    b"Host *\r\n"
    b"  ServerAliveInterval 60"  # no final newline
)


def test_block_goes_above_the_first_include_line_and_keeps_crlf() -> None:
    merged = merge_block(USER_CONFIG, [ENTRY], PATH)
    text = merged.decode()
    assert text.index(END_MARKER) < text.index("Include ~/.ssh/config.d/*")
    block = text[text.index(BEGIN_MARKER) : text.index(END_MARKER)]
    assert block.count("\r\n") == block.count("\n")
    assert remove_block(merged, PATH) == USER_CONFIG
    assert merged.endswith(b"ServerAliveInterval 60")


def test_merge_is_idempotent_and_replaces_the_old_block() -> None:
    once = merge_block(USER_CONFIG, [ENTRY], PATH)
    assert merge_block(once, [ENTRY], PATH) == once
    moved = HostEntry(ENTRY.alias, ENTRY.vm_id, (("HostName", "198.51.100.1"),))
    twice = merge_block(once, [moved], PATH)
    assert b"198.51.100.1" in twice and b"203.0.113.7" not in twice
    assert remove_block(twice, PATH) == USER_CONFIG
    assert previous_hostnames(twice, PATH) == {"devbox.devtray": "198.51.100.1"}


def test_empty_file_and_no_host_lines() -> None:
    assert merge_block(b"", [ENTRY], PATH).startswith(BEGIN_MARKER.encode())
    only_globals = b"ForwardAgent no"
    merged = merge_block(only_globals, [ENTRY], PATH)
    assert merged.startswith(b"ForwardAgent no\n" + BEGIN_MARKER.encode())
    assert merged.endswith(b"Host *\n" + END_MARKER.encode() + b"\n")


def test_a_block_found_under_a_match_line_is_moved_above_it() -> None:
    swallowed = b"Match all\n  User x\n" + merge_block(b"", [ENTRY], PATH)
    fixed = merge_block(swallowed, [ENTRY], PATH)
    assert fixed.startswith(BEGIN_MARKER.encode())
    assert remove_block(fixed, PATH) == b"Match all\n  User x\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"{BEGIN_MARKER}\n{END_MARKER}\n{BEGIN_MARKER}\n{END_MARKER}\n", "appears 2 times"),
        (f"{BEGIN_MARKER}\nHost x\n", "has no END marker"),
        (f"Host x\n{END_MARKER}\n", "has no BEGIN marker"),
        (f"{END_MARKER}\nHost x\n{BEGIN_MARKER}\n", "comes before BEGIN"),
    ],
)
def test_damaged_markers_are_refused_and_nothing_changes(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / ".ssh" / "config"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(ManagedBlockError, match=problem):
        SshConfigWriter(path, PATHS).plan([vm()], Config())
    assert path.read_text() == text
    assert not list(path.parent.glob("*devtray-backup"))


def test_write_creates_ssh_dir_0700_file_0600_and_keeps_a_backup(tmp_path: Path) -> None:
    path = tmp_path / ".ssh" / "config"
    change = SshConfigWriter(path, PATHS).plan([vm()], Config())
    assert write_ssh_config(change)
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
    path.write_bytes(USER_CONFIG)
    change = SshConfigWriter(path, PATHS).plan([vm()], Config())
    assert "+Host devbox.devtray" in change.diff()
    assert write_ssh_config(change)
    assert (path.parent / "config.devtray-backup").read_bytes() == USER_CONFIG
    again = SshConfigWriter(path, PATHS).plan([vm()], Config())
    assert not again.changed and again.diff() == ""
    assert not write_ssh_config(again)


def test_a_symlinked_config_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "ssh_config"
    real.parent.mkdir()
    real.write_bytes(b"Host x\n")
    path = tmp_path / ".ssh" / "config"
    path.parent.mkdir()
    path.symlink_to(real)
    write_ssh_config(SshConfigWriter(path, PATHS).plan([vm()], Config()))
    assert path.is_symlink()
    assert BEGIN_MARKER.encode() in real.read_bytes()


# -- property: any user config survives byte for byte ---------------------------------------------

_LINES = st.sampled_from(
    [
        b"Host *",
        b"host=foo",
        b"  HOST bar baz",
        b"Match host *.x exec true",
        b"\tUser me",
        b"Include ~/.ssh/conf.d/*",
        b"# comment",
        b"   # Host in a comment",
        b"",
        b"   ",
        b"HostName not-a-host-line",
        b"Hostkeyalgorithms +ssh-rsa",
        b'IdentityFile "~/my key"',
        b"\xff\xfe not utf-8",
        b"Port 22\r",
    ]
)
_SCOPE_LINE = re.compile(rb"[ \t]*(host|match)([ \t]|=)", re.IGNORECASE)
_ENDINGS = st.sampled_from([b"\n", b"\r\n"])
_CONFIGS = st.lists(st.tuples(_LINES, _ENDINGS), max_size=12).map(
    lambda pairs: b"".join(line + end for line, end in pairs)
) | st.binary(max_size=200).filter(lambda b: b"DEVTRAY" not in b)
_ENTRIES = st.lists(
    st.sampled_from(
        [ENTRY, HostEntry("b.devtray", "i-1", (("HostName", "10.0.0.1"), ("Port", "2222")))]
    ),
    max_size=2,
)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(user=_CONFIGS, trailing=st.booleans(), first=_ENTRIES, second=_ENTRIES)
def test_property_user_bytes_survive_any_sequence_of_merges(
    user: bytes, trailing: bool, first: list[HostEntry], second: list[HostEntry]
) -> None:
    if not trailing:
        user = user.rstrip(b"\n")
    once = merge_block(user, first, PATH)
    twice = merge_block(once, second, PATH)
    for merged in (once, twice):
        assert remove_block(merged, PATH).rstrip(b"\r\n") == user.rstrip(b"\r\n")
        assert merged.count(BEGIN_MARKER.encode()) == 1
        lines = merged.split(b"\n")
        begin = next(i for i, line in enumerate(lines) if line.startswith(BEGIN_MARKER.encode()))
        assert not any(_SCOPE_LINE.match(line) for line in lines[:begin])
    assert merge_block(twice, second, PATH) == twice
    if user.endswith(b"\n") or not user:
        assert remove_block(once, PATH) == user


def test_dash_f_always_names_the_file_even_the_one_ssh_reads_itself(tmp_path: Path) -> None:
    import os
    import pwd

    from desktop.remote.ssh_config import config_option

    own = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".ssh" / "config"
    assert config_option(own) == ("-F", str(own))
    assert config_option(tmp_path / "config") == ("-F", str(tmp_path / "config"))
