"""devtray's block in `~/.ssh/config`: one `Host <vm>.devtray` entry per VM, kept current.

The block lives in `~/.ssh/config` itself (IDE host pickers ignore hosts behind `Include`),
between BEGIN/END markers, above the first `Host`/`Match` line so no user `Host *` or `Match`
swallows it, and it ends with `Host *` so that anything after it is global again. Every byte
outside the block is kept as it was (CRLF, comments, odd spacing). Damaged markers (duplicated,
unmatched, out of order) stop everything: nothing is changed and the error says where.

Cloud values (VM names, addresses, ids, user names) are untrusted: an alias keeps only
`[a-z0-9-]`, and every value is checked against what that option may hold, so nothing from the
cloud can add a line, an option or a `%` token.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import ipaddress
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop.core import names
from desktop.core.config import Config, SshSettings
from desktop.core.errors import BadConfig
from desktop.core.files import atomic_write
from desktop.core.model import VmSnapshot
from desktop.system.bundle import cli_command
from desktop.system.tools import find_tool, run_captured, tool_named

_MARK = "# ------------"
ALIAS_SUFFIX = ".devtray"
ALIAS_MAX = 48
_ID_TAG_MAX = 24  # longer ids (Azure's resource paths) are replaced by a digest
_DIGEST_CHARS = 10
_MAX_LEVEL = 4
_VM_COMMENT = "# vm "
SERVER_ALIVE_INTERVAL = 15
SERVER_ALIVE_COUNT_MAX = 4
CONTROL_PERSIST = "10m"
_UNIX_SOCKET_MAX = 100  # sun_path is 104 bytes on macOS, 108 on Linux; keep a margin

_HOST_OR_MATCH = re.compile(rb"^[ \t]*(host|match|include)([ \t]|=)", re.IGNORECASE)
_COMMENT = re.compile(rb"^[ \t]*#")
_DNS_NAME = names.DNS_NAME  # the shapes the config reader refuses at load time, too
_USER = names.LOGIN_NAME
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
_REGION = names.AWS_REGION
_PROFILE = names.AWS_PROFILE


@dataclass(frozen=True)
class ManagedBlock:
    """One block devtray manages in an SSH config file, told apart by the name in its markers
    (`BEGIN DEVTRAY` is not `BEGIN DEVTRAY DEMO`): each writer rewrites only its own."""

    name: str  # the words after BEGIN / END
    note: str  # what the BEGIN marker says in brackets
    heading: str  # the comment line under it
    remedy: str  # what writes the block again, for the damaged-marker hint

    @property
    def begin_marker(self) -> str:
        """The BEGIN line."""
        return f"{_MARK} BEGIN {self.name} ({self.note}) ------------"

    @property
    def end_marker(self) -> str:
        """The END line."""
        return f"{_MARK} END {self.name} ------------"

    def is_begin(self, line: bytes) -> bool:
        """True for this block's BEGIN line (its bracketed note may have been edited)."""
        return _is_marker(line, f"{_MARK} BEGIN {self.name}")

    def is_end(self, line: bytes) -> bool:
        """True for this block's END line."""
        return _is_marker(line, f"{_MARK} END {self.name}")


def _is_marker(line: bytes, marker: str) -> bool:
    # After the name only the end of the line, " (" or " -" may follow: a longer name (DEVTRAY
    # DEMO after DEVTRAY) is another block's marker.
    text, start = line.strip(), marker.encode()
    return text.startswith(start) and text[len(start) : len(start) + 2] in (b"", b" (", b" -")


DEVTRAY_BLOCK = ManagedBlock(
    name="DEVTRAY",
    note="managed by devtray; edits here are lost",
    heading="# Written by `devtray ssh-config`; devtray rewrites everything down to the END"
    " marker.",
    remedy="run `devtray ssh-config`",
)
DEMO_BLOCK = ManagedBlock(
    name="DEVTRAY DEMO",
    note="devtray's demo VM; removed when the demo quits",
    heading="# Written by `devtray --demo` for its stand-in VM on this computer; removed at Quit.",
    remedy="start `devtray --demo`",
)
BLOCKS = (DEVTRAY_BLOCK, DEMO_BLOCK)  # every block devtray writes: none is inside another
BEGIN_MARKER = DEVTRAY_BLOCK.begin_marker
END_MARKER = DEVTRAY_BLOCK.end_marker


class ManagedBlockError(BadConfig):
    """The devtray markers in the user's SSH config are damaged; nothing was changed."""

    title = "SSH config not changed"


class SshConfigNotWritable(BadConfig):
    """The SSH config (or the link or folder it lives in) cannot or must not be written."""

    title = "SSH config not changed"


# -- values --------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def alias_for(name: str, vm_id: str) -> str:
    """`<name>.devtray` from an untrusted VM name: lower-case letters, digits and `-` only."""
    slug = _slug(name)[:ALIAS_MAX].strip("-")
    if not slug:
        slug = _slug(vm_id)[:ALIAS_MAX] or "vm"
    return slug + ALIAS_SUFFIX


def _with_tag(name: str, tag: str) -> str:
    """`<name>-<tag>.devtray`, the name cut so that the tag always survives in full."""
    room = max(0, ALIAS_MAX - len(tag) - 1)
    stem = _slug(name)[:room].strip("-")
    return (f"{stem}-{tag}" if stem else tag) + ALIAS_SUFFIX


def _id_tag(vm_id: str) -> str:
    """The VM id as an alias part: itself when short (EC2's `i-...`), else a digest of it."""
    slug = _slug(vm_id)
    if slug and len(slug) <= _ID_TAG_MAX:
        return slug
    return hashlib.sha256(vm_id.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]


def unique_aliases(vms: Sequence[VmSnapshot]) -> dict[str, str]:
    """Alias per VM id, a different one for every VM and the same on every run.

    A VM keeps its plain `<name>.devtray` while no other VM would get the same alias; names
    that clash (equal names, long names equal in their first 48 characters, or a name equal to
    another VM's tagged alias) get the VM id added, the name shortened so the id stays whole;
    in the unlikely case that still clashes, a digest of the id. The result depends only on
    the set of VMs, not on the order the cloud lists them in.
    """
    ids = sorted({vm.id for vm in vms})
    names = {vm.id: vm.name for vm in vms}
    levels = dict.fromkeys(ids, 0)

    def alias(vm_id: str) -> str:
        name, level = names[vm_id], levels[vm_id]
        if level == 0:
            return alias_for(name, vm_id)
        if level == 1:
            return _with_tag(name, _id_tag(vm_id))
        digest = hashlib.sha256(vm_id.encode("utf-8")).hexdigest()
        return _with_tag(name, digest[: _DIGEST_CHARS * level])

    # Each round moves the least specific VMs of every clash one level up (a plain name that
    # equals another VM's tagged alias moves, the tagged one stays); ids differ, so it ends.
    for _ in range(len(ids) * _MAX_LEVEL):
        holders: dict[str, list[str]] = {}
        for vm_id in ids:
            holders.setdefault(alias(vm_id), []).append(vm_id)
        clashes = [group for group in holders.values() if len(group) > 1]
        if not clashes:
            break
        for group in clashes:
            lowest = min(levels[vm_id] for vm_id in group)
            for vm_id in group:
                if levels[vm_id] == lowest and lowest < _MAX_LEVEL:
                    levels[vm_id] += 1
    return {vm_id: alias(vm_id) for vm_id in ids}


def checked_host(value: str, what: str) -> str:
    """An IP address or DNS name, or BadConfig (a `%`, space or newline can never pass)."""
    candidate = value.strip("[]")
    try:
        if "%" not in candidate:  # an IPv6 scope (fe80::1%eth0) would be a % token
            return str(ipaddress.ip_address(candidate))
    except ValueError:
        pass
    if _DNS_NAME.fullmatch(value):
        return value
    raise BadConfig(
        f"{what} {value!r} is not an IP address or host name",
        hint="Fix the address (or the [vm.NAME] host override in devtray's config).",
    )


def checked_user(value: str, what: str) -> str:
    """A login name made of letters, digits, `_`, `.` and `-`."""
    if _USER.fullmatch(value):
        return value
    raise BadConfig(
        f"{what} {value!r} is not a valid login name",
        hint="Use letters, digits, '_', '.' and '-' only (set [ssh] user in devtray's config).",
    )


def quoted_path(path: Path | str, what: str) -> str:
    """A local path as one ssh_config value: quoted, `%` escaped, quotes and newlines refused."""
    text = str(path)
    if any(ch in text for ch in '"\r\n\0'):
        raise BadConfig(f"{what} {text!r} contains a quote or a line break", hint="Rename it.")
    return '"' + text.replace("%", "%%") + '"'


# -- entries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SsmProxy:
    """How to reach an AWS VM with no reachable address: SSM's AWS-StartSSHSession."""

    aws_cli: Path
    profile: str | None = None


@dataclass(frozen=True)
class HostEntry:
    """One `Host` entry: the alias and its (keyword, value) lines, all values validated."""

    alias: str
    vm_id: str
    options: tuple[tuple[str, str], ...]

    @property
    def hostname(self) -> str | None:
        """The HostName this entry dials."""
        return dict(self.options).get("HostName")

    def lines(self) -> list[str]:
        """The entry as config lines; a comment names the VM (by a safe form of its id), so
        a command that knows only the VM finds its alias (`alias_in_block`)."""
        return [
            f"Host {self.alias}",
            f"{_VM_COMMENT}{_id_tag(self.vm_id)}",
            *(f"  {key} {value}" for key, value in self.options),
        ]


@dataclass(frozen=True)
class EntryPaths:
    """Local files the entries point at."""

    known_hosts: Path
    control_dir: Path | None  # None: no connection sharing (Windows' OpenSSH has none)


def default_paths(home: Path | None = None) -> EntryPaths:
    """The devtray known-hosts file and the control-socket folder for this machine."""
    ssh_dir = (home or Path.home()) / ".ssh"
    return EntryPaths(
        known_hosts=ssh_dir / "devtray_known_hosts", control_dir=_control_dir(ssh_dir)
    )


def _control_dir(ssh_dir: Path) -> Path | None:
    """Where control sockets go: ~/.ssh, or a private temp folder when that path is too long."""
    if sys.platform == "win32":
        return None
    if len(str(ssh_dir)) + len("/devtray-") + 40 <= _UNIX_SOCKET_MAX:
        return ssh_dir
    short = Path(tempfile.gettempdir()) / f"devtray-{os.getuid()}"
    short.mkdir(mode=0o700, exist_ok=True)
    info = short.lstat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or short.is_symlink():
        return None  # someone else's folder: no sharing rather than a socket they control
    return short


def host_entry(
    vm: VmSnapshot,
    alias: str,
    ssh: SshSettings,
    paths: EntryPaths,
    *,
    ssm: SsmProxy | None = None,
    previous_hostname: str | None = None,
) -> HostEntry | None:
    """The entry for one VM, or None when it has no address to dial yet.

    The address is the config's host override, else the VM's best address, else SSM (AWS only,
    with the tools present), else the address the block had before (a stopped VM keeps its
    entry so IDEs keep their saved host).
    """
    options: list[tuple[str, str]] = []
    proxy: str | None = None
    if ssh.host:
        hostname = checked_host(ssh.host, "The host override for " + alias)
    elif vm.addresses.best():
        hostname = checked_host(str(vm.addresses.best()), f"The address of {alias}")
    elif ssm is not None and vm.provider == "aws" and _INSTANCE_ID.fullmatch(vm.id):
        hostname = vm.id
        proxy = _ssm_command(vm, ssm)
    elif previous_hostname:
        hostname = checked_host(previous_hostname, f"The previous address of {alias}")
    else:
        return None
    options.append(("HostName", hostname))
    user = ssh.user or vm.ssh_user
    if user:
        options.append(("User", checked_user(user, f"The login name for {alias}")))
    # A VM's own SSH port (an Azure lab's shared-IP NAT port) goes with its own address only.
    vm_port = vm.ssh_port if not ssh.host else None
    options.append(("Port", str(ssh.port or vm_port or 22)))
    if ssh.identity_file:
        identity = Path(ssh.identity_file).expanduser()
        options.append(("IdentityFile", quoted_path(identity, "The identity file")))
        options.append(("IdentitiesOnly", "yes"))
    if proxy:
        options.append(("ProxyCommand", proxy))
    options += [
        # Keys are pinned to the alias, not to an address EC2 changes at every start.
        ("HostKeyAlias", alias),
        ("UserKnownHostsFile", quoted_path(paths.known_hosts, "The known-hosts file")),
        ("StrictHostKeyChecking", "accept-new"),
        ("CheckHostIP", "no"),
        ("ServerAliveInterval", str(SERVER_ALIVE_INTERVAL)),
        ("ServerAliveCountMax", str(SERVER_ALIVE_COUNT_MAX)),
    ]
    if paths.control_dir is not None:
        control = quoted_path(paths.control_dir / "devtray-", "The control folder")
        options += [("ControlMaster", "auto"), ("ControlPath", control[:-1] + '%C"')]
        if not proxy:
            # With ControlPersist ssh sends a ProxyCommand's stderr to /dev/null: an expired
            # SSM sign-in would show only as "Connection closed". SSM hosts share a
            # connection while one session is open, and the proxy's words reach the user.
            options.append(("ControlPersist", CONTROL_PERSIST))
    return HostEntry(alias=alias, vm_id=vm.id, options=tuple(options))


def _ssm_command(vm: VmSnapshot, ssm: SsmProxy) -> str:
    if not _REGION.fullmatch(vm.region):
        raise BadConfig(f"The region {vm.region!r} of {vm.id} is not valid")
    cli = shell_word(str(ssm.aws_cli), "The AWS CLI path")
    words = [
        cli,
        "ssm",
        "start-session",
        "--target",
        vm.id,
        "--document-name",
        "AWS-StartSSHSession",
        "--parameters",
        "portNumber=%p",
        "--region",
        vm.region,
    ]
    if ssm.profile:
        if not _PROFILE.fullmatch(ssm.profile):
            raise BadConfig(f"The AWS profile name {ssm.profile!r} is not valid")
        words += ["--profile", ssm.profile]
    return " ".join(words)


def ssm_from_tools(config: Config) -> SsmProxy | None:
    """SSM ProxyCommand settings when the AWS CLI and the session-manager-plugin are installed."""
    aws = find_tool(tool_named("aws"))
    if aws is None or find_tool(tool_named("session-manager-plugin")) is None:
        return None
    return SsmProxy(aws_cli=aws, profile=config.aws.profile if config.aws else None)


def entries_for(
    vms: Sequence[VmSnapshot],
    config: Config,
    paths: EntryPaths,
    *,
    ssm: SsmProxy | None = None,
    previous: Mapping[str, str] | None = None,
) -> list[HostEntry]:
    """One entry per VM that has (or had) an address, in the VMs' order."""
    aliases = unique_aliases(vms)
    previous = previous or {}
    devtray = cli_command() if config.connect.start_on_connect else None
    entries = []
    for vm in vms:
        alias = aliases[vm.id]
        entry = host_entry(
            vm,
            alias,
            config.ssh_for(vm.name, vm.id),
            paths,
            ssm=ssm,
            previous_hostname=previous.get(alias),
        )
        # The demo cloud lives in the tray's process: an ssh client's `devtray connect-proxy`
        # could never find its VMs, so their entries carry no start-on-connect ProxyCommand.
        if entry is not None and devtray is not None and vm.provider != "demo":
            entry = with_start_on_connect(entry, devtray)
        if entry is not None:
            entries.append(entry)
    return entries


# -- start on connect ----------------------------------------------------------------------------

_ALIAS_WORD = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


def with_start_on_connect(entry: HostEntry, devtray: Sequence[str]) -> HostEntry:
    """`entry` with a ProxyCommand running `devtray connect-proxy` (start a stopped VM, then
    connect), chained before the entry's own proxy command (SSM) when it has one.

    ssh runs a ProxyCommand through the shell: every word of `devtray` is double-quoted (paths
    with spaces), `%` escaped, and refused when it holds what the shell expands inside quotes.
    """
    if not _ALIAS_WORD.fullmatch(entry.alias):
        raise BadConfig(f"The SSH alias {entry.alias!r} is not a safe command word")
    words = [shell_word(word, "The devtray command") for word in devtray]
    command = " ".join([*words, "connect-proxy", entry.alias, "%h", "%p"])
    options = list(entry.options)
    keys = [key for key, _ in options]
    if "ProxyCommand" in keys:
        at = keys.index("ProxyCommand")
        options[at] = ("ProxyCommand", f"{command} -- {options[at][1]}")
    else:
        options.insert(keys.index("Port") + 1, ("ProxyCommand", command))
    return replace(entry, options=tuple(options))


def shell_word(word: str, what: str) -> str:
    """One word of a ProxyCommand (which ssh runs through the shell): double-quoted, `%`
    escaped, refused when it holds what the shell still expands inside double quotes."""
    quoted = quoted_path(word, what)
    if any(ch in quoted for ch in "$`\\") and sys.platform != "win32":
        raise BadConfig(f"{what} {word!r} has shell characters", hint="Move it.")
    return quoted


# -- the block inside the file -------------------------------------------------------------------


def render_block(
    entries: Iterable[HostEntry], newline: bytes = b"\n", block: ManagedBlock = DEVTRAY_BLOCK
) -> bytes:
    """The managed block, markers included, with `newline` line endings."""
    lines = [block.begin_marker, block.heading]
    for entry in entries:
        lines += entry.lines()
    lines += ["# Lines after this block apply to every host again:", "Host *", block.end_marker]
    return b"".join(line.encode("utf-8") + newline for line in lines)


def _split_lines(data: bytes) -> list[bytes]:
    """Lines with their `\\n` endings (a `\\r` before it stays part of the line)."""
    lines = data.split(b"\n")
    tail = lines.pop()
    result = [line + b"\n" for line in lines]
    if tail:
        result.append(tail)
    return result


def _markers(lines: Sequence[bytes], block: ManagedBlock) -> tuple[list[int], list[int]]:
    """Indexes of the block's BEGIN lines and of its END lines."""
    begins = [i for i, line in enumerate(lines) if block.is_begin(line)]
    ends = [i for i, line in enumerate(lines) if block.is_end(line)]
    return begins, ends


def _marker_problem(begins: Sequence[int], ends: Sequence[int], name: str) -> str | None:
    """What is wrong with a block's markers (None: absent, or one BEGIN before one END)."""
    if len(begins) > 1:
        where = ", ".join(str(i + 1) for i in begins)
        return f"the BEGIN {name} marker appears {len(begins)} times (lines {where})"
    if len(ends) > 1:
        where = ", ".join(str(i + 1) for i in ends)
        return f"the END {name} marker appears {len(ends)} times (lines {where})"
    if begins and not ends:
        return f"the BEGIN {name} marker on line {begins[0] + 1} has no END marker"
    if ends and not begins:
        return f"the END {name} marker on line {ends[0] + 1} has no BEGIN marker"
    if begins and ends[0] < begins[0]:
        return f"the END marker (line {ends[0] + 1}) comes before BEGIN (line {begins[0] + 1})"
    return None


def _marker_lines(
    lines: Sequence[bytes], path: Path, block: ManagedBlock = DEVTRAY_BLOCK
) -> tuple[int, int] | None:
    """(begin, end) line indexes of the managed block, None if absent; damaged → error."""
    begins, ends = _markers(lines, block)
    problem = _marker_problem(begins, ends, block.name)
    if problem:
        raise ManagedBlockError(
            f"{path}: {problem}; devtray changed nothing.",
            hint=f"Fix the {block.name} markers by hand (or delete that whole block), "
            f"then {block.remedy} again.",
        )
    return (begins[0], ends[0]) if begins else None


def _in_blocks(lines: Sequence[bytes]) -> set[int]:
    """Indexes of the lines inside (and on the markers of) every well-formed devtray block:
    each ends with `Host *`, so another block above ours swallows nothing."""
    inside: set[int] = set()
    for block in BLOCKS:
        begins, ends = _markers(lines, block)
        if begins and _marker_problem(begins, ends, block.name) is None:
            inside.update(range(begins[0], ends[0] + 1))
    return inside


def _newline_of(lines: Sequence[bytes]) -> bytes:
    crlf = sum(line.endswith(b"\r\n") for line in lines)
    lf = sum(line.endswith(b"\n") for line in lines) - crlf
    return b"\r\n" if crlf > lf else b"\n"


def _insertion_index(lines: Sequence[bytes]) -> int:
    """Just above the first Host/Match/Include line (and the comment lines directly above it)
    outside devtray's blocks: an included `Host *` read before the block would win over its
    values."""
    blocks = _in_blocks(lines)
    for index, line in enumerate(lines):
        if index not in blocks and _HOST_OR_MATCH.match(line):
            while index > 0 and index - 1 not in blocks and _COMMENT.match(lines[index - 1]):
                index -= 1
            return index
    return len(lines)


def merge_block(
    original: bytes,
    entries: Sequence[HostEntry],
    path: Path,
    block: ManagedBlock = DEVTRAY_BLOCK,
) -> bytes:
    """`original` with the managed block replaced (or inserted); every other byte kept."""
    lines = _split_lines(original)
    found = _marker_lines(lines, path, block)
    if found is not None and _insertion_index(lines[: found[0]]) < found[0]:
        # The block sits under a Host/Match line (moved by hand?), where it would be
        # swallowed: take it out and put it back in the right place.
        lines = _split_lines(remove_block(original, path, block))
        found = None
    if found is not None:
        begin, end = found
        newline = _newline_of(lines[begin : end + 1])
        text = render_block(entries, newline, block)
        if not lines[end].endswith(b"\n"):
            text = text.removesuffix(newline)  # the block ended the file without a newline
        return b"".join(lines[:begin]) + text + b"".join(lines[end + 1 :])
    newline = _newline_of(lines)
    at = _insertion_index(lines)
    before = b"".join(lines[:at])
    if before and not before.endswith(b"\n"):
        before += newline  # appending after a last line that had no line break
    return before + render_block(entries, newline, block) + b"".join(lines[at:])


def remove_block(original: bytes, path: Path, block: ManagedBlock = DEVTRAY_BLOCK) -> bytes:
    """`original` without the managed block."""
    lines = _split_lines(original)
    found = _marker_lines(lines, path, block)
    if found is None:
        return original
    begin, end = found
    return b"".join(lines[:begin]) + b"".join(lines[end + 1 :])


def alias_in_block(path: Path, vm_id: str, block: ManagedBlock = DEVTRAY_BLOCK) -> str | None:
    """The alias the block in `path` gives the VM `vm_id` (None: no such entry, or the file
    cannot be read)."""
    try:
        lines = _split_lines(_read(path))
        found = _marker_lines(lines, path, block)
    except BadConfig:
        return None
    if found is None:
        return None
    wanted = _VM_COMMENT + _id_tag(vm_id)
    alias = None
    for raw in lines[found[0] : found[1]]:
        words = raw.decode("utf-8", "replace").split()
        if len(words) == 2 and words[0] == "Host":
            alias = words[1]
        elif " ".join(words) == wanted and alias:
            return alias
    return None


def previous_hostnames(
    original: bytes, path: Path, block: ManagedBlock = DEVTRAY_BLOCK
) -> dict[str, str]:
    """alias → HostName in the current managed block (kept for VMs that have no address now)."""
    lines = _split_lines(original)
    found = _marker_lines(lines, path, block)
    if found is None:
        return {}
    result: dict[str, str] = {}
    alias = None
    for raw in lines[found[0] : found[1]]:
        words = raw.decode("utf-8", "replace").split()
        if len(words) == 2 and words[0] == "Host":
            alias = words[1]
        elif len(words) == 2 and words[0] == "HostName" and alias:
            result[alias] = words[1]
    return result


# -- the file ------------------------------------------------------------------------------------


def ssh_config_path(home: Path | None = None) -> Path:
    """The user's `~/.ssh/config`."""
    return (home or Path.home()) / ".ssh" / "config"


def config_option(path: Path) -> tuple[str, str]:
    """`-F path` for an ssh command line: always the file whose block devtray wrote.

    OpenSSH finds `~/.ssh/config` through the password database, not $HOME, so without `-F`
    a devtray run with another HOME (tests, sudo, a service) resolves its aliases elsewhere,
    and an unknown alias goes to the system resolver.
    """
    return ("-F", str(path))


_SSH_ECHO = re.compile(
    r"^(kex_exchange_identification:|ssh_exchange_identification:|Connection closed by"
    r"|Warning: Permanently added)"
)


def ssh_reason(stderr: str) -> str:
    """Why an ssh run failed, from its stderr: the last line, unless that is only ssh's echo
    of a ProxyCommand that gave up ("Connection closed"), when the proxy's own words (an
    expired SSM sign-in, say) come before it."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    own = [line for line in lines if not _SSH_ECHO.match(line)]
    return (own or lines or [""])[-1]


def ssh_command(alias: str, path: Path, ssh: Path | str = "ssh") -> list[str]:
    """`ssh -F PATH` for one non-interactive command on `alias` (the command goes after)."""
    return [str(ssh), *config_option(path), "-o", "BatchMode=yes", "-o", "ConnectTimeout=15", alias]


@dataclass(frozen=True)
class ConfigChange:
    """A planned rewrite of the SSH config: what is there and what would be written."""

    path: Path
    before: bytes
    after: bytes
    entries: tuple[HostEntry, ...]
    warnings: tuple[str, ...] = ()  # set by `SshConfigWriter.refresh` after the write

    @property
    def changed(self) -> bool:
        """True when writing would change the file."""
        return self.before != self.after

    def entry_for(self, vm_id: str) -> HostEntry | None:
        """The block's entry for one VM (None: it has no address yet)."""
        return next((entry for entry in self.entries if entry.vm_id == vm_id), None)

    def diff(self) -> str:
        """A unified diff of the change (empty when nothing changes)."""
        old = self.before.decode("utf-8", "replace").splitlines(keepends=True)
        new = self.after.decode("utf-8", "replace").splitlines(keepends=True)
        return "".join(
            difflib.unified_diff(old, new, fromfile=str(self.path), tofile=f"{self.path} (new)")
        )


def _target(path: Path) -> Path:
    """The real file behind `path`, so a dotfiles symlink stays a symlink."""
    if not path.is_symlink():
        return path
    try:
        return path.resolve(strict=False)
    except (RuntimeError, OSError):  # a loop: RuntimeError before Python 3.13, OSError after
        raise SshConfigNotWritable(
            f"{path} is a symlink loop: neither ssh nor devtray can read it.",
            hint=f"Point the link at a real file, or remove it (rm {path}) and run "
            "`devtray ssh-config` again.",
        ) from None


def _read(path: Path) -> bytes:
    try:
        return _target(path).read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise BadConfig(f"{path} cannot be read ({exc.strerror})") from None


def _not_writable(path: Path, target: Path, why: str) -> SshConfigNotWritable:
    where = path if target == path else f"{path} (a link to {target})"
    return SshConfigNotWritable(
        f"devtray cannot write its block into {where}: {why}. Nothing was changed.",
        hint="Make it writable (chmod u+w on the file and its folder), or, if a tool such "
        "as home-manager or Nix writes that file, add the block printed by "
        "`devtray ssh-config --dry-run` to that tool's source of it.",
    )


def _writable_target(path: Path) -> Path:
    """The file to replace, or SshConfigNotWritable saying why it must not or cannot be.

    A read-only file (0444) is the user's way of saying "leave it": it is refused even when
    the folder would let a rename replace it (and even for root).
    """
    target = _target(path)
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise _not_writable(path, target, exc.strerror or str(exc)) from None
    if not mode & stat.S_IWUSR:
        raise _not_writable(path, target, f"it is read-only (mode {stat.S_IMODE(mode):04o})")
    return target


@contextmanager
def _write_lock(target: Path) -> Iterator[None]:
    """One devtray writer of `target` at a time (the tray and a CLI run), so the temp files
    a killed writer left can be told apart from those of a writer still at work."""
    if sys.platform == "win32":
        yield
        return
    import fcntl

    lock = target.with_name(f".{target.name}.devtray-lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_leftover_temps(target: Path) -> None:
    """Remove the temp files of a write that was killed before its rename (under the lock,
    no other writer has one)."""
    if sys.platform == "win32":
        return
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink()


@dataclass(frozen=True)
class SshConfigWriter:
    """Keeps one block in one SSH config file in step with the VMs (defaults: devtray's block
    in ~/.ssh/config; the demo's writer keeps its own block there).

    The tray and `devtray up` hold one and call `refresh` with new snapshots whenever the VMs'
    addresses change (EC2 hands out a new public IP at every start).
    """

    path: Path = field(default_factory=lambda: ssh_config_path())
    paths: EntryPaths = field(default_factory=lambda: default_paths())
    ssm: SsmProxy | None = None
    block: ManagedBlock = DEVTRAY_BLOCK

    def plan(self, vms: Sequence[VmSnapshot], config: Config) -> ConfigChange:
        """What the file would look like for these VMs (nothing is written)."""
        before = _read(self.path)
        previous = previous_hostnames(before, self.path, self.block)
        entries = entries_for(vms, config, self.paths, ssm=self.ssm, previous=previous)
        after = merge_block(before, entries, self.path, self.block)
        return ConfigChange(path=self.path, before=before, after=after, entries=tuple(entries))

    def remove(self) -> bool:
        """Take the block out of the file, every other byte kept; False when it had none."""
        before = _read(self.path)
        after = remove_block(before, self.path, self.block)
        change = ConfigChange(path=self.path, before=before, after=after, entries=())
        return write_ssh_config(change)

    def refresh(self, vms: Sequence[VmSnapshot], config: Config) -> ConfigChange:
        """Plan and write; writes only when the block's content differs, so calling it often
        is cheap and leaves no backup churn. The change returned carries `warnings`: what
        `ssh -G` resolves differently from the block, naming the line that wins."""
        change = self.plan(vms, config)
        write_ssh_config(change)
        return replace(change, warnings=tuple(check_aliases(change)))


def write_ssh_config(change: ConfigChange) -> bool:
    """Write a planned change atomically (backup kept, 0600, ~/.ssh 0700); False if unchanged.

    SshConfigNotWritable (exit 2, naming the file and the way out) when the file, the link
    behind it or its folder cannot or must not be written; nothing is changed then.
    """
    if not change.changed:
        return False
    target = _writable_target(change.path)
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _write_lock(target):
            _remove_leftover_temps(target)
            if _read(change.path) != change.before:
                raise BadConfig(
                    f"{change.path} changed while devtray was preparing its update; "
                    "nothing was written.",
                    hint="Run the command again.",
                )
            atomic_write(target, change.after, mode=0o600)
    except OSError as exc:
        raise _not_writable(change.path, target, exc.strerror or str(exc)) from None
    return True


@dataclass(frozen=True)
class Resolved:
    """What `ssh -G -v` made of an alias: its options, and which sections it applied."""

    options: dict[str, str]
    files: tuple[Path, ...]  # every config file ssh read, in order
    sections: tuple[tuple[Path, int, str], ...]  # (file, line, pattern) of each Host applied


_READING = re.compile(r"^debug1: Reading configuration data (.+)$")
_APPLYING = re.compile(r"^debug1: (.+) line (\d+): Applying options for (.+)$")


def resolve_alias(alias: str, path: Path, timeout: float = 10.0) -> Resolved | None:
    """What `ssh -G` makes of `alias` with this config file (None without an ssh client)."""
    ssh = shutil.which("ssh")
    if ssh is None:
        return None
    result = run_captured([ssh, "-G", "-v", "-F", str(path), alias], timeout)
    if result is None or result.returncode != 0:
        return None  # no verdict: the check is advice, the block is written
    options: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        options.setdefault(key, value)
    files: list[Path] = []
    sections: list[tuple[Path, int, str]] = []
    for line in result.stderr.splitlines():
        if reading := _READING.match(line):
            files.append(Path(reading[1]))
        elif applying := _APPLYING.match(line):
            sections.append((Path(applying[1]), int(applying[2]), applying[3]))
    return Resolved(options, tuple(files), tuple(sections))


def _setting_lines(file: Path, after: int, key: str) -> list[tuple[int, str]]:
    """(line number, text) of the lines setting `key` after line `after` (0: from the top)
    up to the next Host/Match/Include line."""
    try:
        lines = file.read_bytes().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    found = []
    for number, text in enumerate(lines[after:], start=after + 1):
        if _HOST_OR_MATCH.match(text.encode()):
            break
        words = text.strip().replace("=", " ", 1).split(None, 1)
        if words and words[0].lower() == key:
            found.append((number, text.strip()))
    return found


def overriding_line(resolved: Resolved, alias: str, key: str) -> str | None:
    """`FILE line N: TEXT` of the line that sets `key` for `alias` before devtray's entry
    does (OpenSSH keeps the first value it reads), None if it cannot be found."""
    for file in resolved.files:  # lines above a file's first Host/Match apply to every host
        for number, text in _setting_lines(file, 0, key):
            return f"{file} line {number}: {text}"
    for file, line, pattern in resolved.sections:
        if pattern == alias:
            break  # devtray's own entry: what comes after it cannot win
        for number, text in _setting_lines(file, line, key):
            return f"{file} line {number}: {text}"
    return None


def check_aliases(change: ConfigChange) -> list[str]:
    """Warnings for aliases that `ssh -G` resolves differently from the block (a user line
    or an included `Host *` that wins), each naming the line that wins."""
    warnings = []
    for entry in change.entries:
        resolved = resolve_alias(entry.alias, change.path)
        if resolved is None:
            continue
        ours = {key.lower(): value for key, value in entry.options}
        for key in ("hostname", "port", "user"):
            seen = resolved.options.get(key)
            if key in ours and seen != ours[key]:
                culprit = overriding_line(resolved, entry.alias, key) or (
                    f"a line read before the devtray block in {change.path}"
                )
                warnings.append(
                    f"ssh uses {key} {seen!r} for {entry.alias}, not {ours[key]!r}: "
                    f"{culprit} overrides it (move that line below the devtray block, "
                    f"or narrow its Host pattern)."
                )
    return warnings
