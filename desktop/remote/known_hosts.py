"""Host keys of the VMs: pinned per alias in devtray's own known-hosts file.

The SSH config block sets `UserKnownHostsFile` to this file, `HostKeyAlias` to the alias (EC2
changes the address at every start; the key stays) and `StrictHostKeyChecking accept-new`: the
first key is pinned, a different key later is refused by ssh. This module tells the person
what happened — both fingerprints — and replaces the pin when they say the VM was rebuilt.
Where the cloud shows the VM's own fingerprints (EC2 console output, printed by cloud-init at
first boot), the offered key is checked against them.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from desktop.core.errors import DevtrayError
from desktop.core.files import atomic_write
from desktop.remote.ssh_config import config_option, ssh_reason

SCAN_TIMEOUT = 30.0
_FINGERPRINTS = re.compile(
    r"-----BEGIN SSH HOST KEY FINGERPRINTS-----(.*?)-----END SSH HOST KEY FINGERPRINTS-----", re.S
)
_KEYS = re.compile(r"-----BEGIN SSH HOST KEY KEYS-----(.*?)-----END SSH HOST KEY KEYS-----", re.S)
_KEY_TYPES = ("ssh-", "ecdsa-", "sk-")
_SHA256 = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


class HostKeyError(DevtrayError):
    """A host key problem the person must decide about."""

    title = "Host key"


@dataclass(frozen=True)
class HostKey:
    """One public host key: its type and base64 blob."""

    key_type: str
    blob: str

    @property
    def fingerprint(self) -> str:
        """`SHA256:...` exactly as `ssh-keygen -l` and ssh's warnings print it."""
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    def describe(self) -> str:
        """`SHA256:... (ED25519)`."""
        kind = self.key_type.removeprefix("ssh-").split("-")[0].upper()
        return f"{self.fingerprint} ({kind})"

    def line(self, alias: str) -> str:
        """The known_hosts line pinning this key to `alias`."""
        return f"{alias} {self.key_type} {self.blob}"


def _parse_key(key_type: str, blob: str) -> HostKey | None:
    try:
        base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return None
    return HostKey(key_type, blob)


def _host_matches(pattern_field: str, alias: str) -> bool:
    for pattern in pattern_field.split(","):
        if pattern.startswith("|1|"):  # HashKnownHosts: |1|salt|hmac-sha1(salt, host)
            try:
                _, _, salt, digest = pattern.split("|")
                mac = hmac.new(base64.b64decode(salt), alias.encode(), hashlib.sha1).digest()
            except (ValueError, binascii.Error):
                continue
            if hmac.compare_digest(base64.b64encode(mac).decode(), digest):
                return True
        elif pattern == alias:
            return True
    return False


def pinned_keys(known_hosts: Path, alias: str) -> list[HostKey]:
    """The keys pinned for `alias` (plain or hashed entries)."""
    try:
        lines = known_hosts.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    keys = []
    for line in lines:
        if _pins(line, alias) and (key := _parse_key(*line.split()[1:3])):
            keys.append(key)
    return keys


def offered_key(ssh: Path, alias: str, ssh_config: Path, timeout: float = SCAN_TIMEOUT) -> HostKey:
    """The key the VM offers now, fetched through the alias (so SSM proxies work too).

    ssh writes the key to an empty throwaway known-hosts file right after the key exchange;
    authentication is switched off, so nothing runs on the VM.
    """
    with tempfile.TemporaryDirectory(prefix="devtray-hostkey-") as scratch:
        scratch_file = Path(scratch) / "known_hosts"
        try:
            result = subprocess.run(
                [
                    str(ssh),
                    *config_option(ssh_config),
                    "-o",
                    f"UserKnownHostsFile={scratch_file}",
                    "-o",
                    "GlobalKnownHostsFile=/dev/null",
                    "-o",
                    "StrictHostKeyChecking=accept-new",
                    "-o",
                    "BatchMode=yes",
                    "-o",
                    "PreferredAuthentications=none",
                    "-o",
                    "ControlMaster=no",
                    "-o",
                    "ControlPath=none",
                    alias,
                    "true",
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            stderr = result.stderr.strip()
        except subprocess.TimeoutExpired:
            stderr = "timed out"
        keys = pinned_keys(scratch_file, alias)
    if not keys:
        raise HostKeyError(
            f"Could not get the host key of {alias}: {ssh_reason(stderr)}",
            hint="Check that the VM is running and `devtray ssh-config` has been run.",
        )
    return keys[0]


def console_fingerprints(console_output: str) -> set[str]:
    """The host key fingerprints cloud-init printed to the console (empty if none)."""
    found: set[str] = set()
    for section in _FINGERPRINTS.findall(console_output):
        found.update(_SHA256.findall(section))
    for section in _KEYS.findall(console_output):
        for line in section.splitlines():
            fields = line.split()
            for index, field in enumerate(fields[:-1]):
                if field.startswith(_KEY_TYPES) and (key := _parse_key(field, fields[index + 1])):
                    found.add(key.fingerprint)
    return found


class KeyStatus(enum.StrEnum):
    """How the offered key compares to the pin."""

    NEW = "new"  # nothing pinned: ssh will pin it at the first connection
    MATCHES = "matches"
    CHANGED = "changed"


@dataclass(frozen=True)
class HostKeyCheck:
    """The result of comparing what the VM offers with what is pinned (and the console)."""

    alias: str
    status: KeyStatus
    offered: HostKey
    pinned: tuple[HostKey, ...]
    console_verified: bool | None = None  # None: the cloud shows no fingerprints

    def explain(self) -> str:
        """Words for a person, with both fingerprints when the key changed."""
        offered = self.offered.describe()
        console = {
            True: " It matches the fingerprint the VM printed at boot (cloud console).",
            False: " WARNING: it does NOT match the fingerprints the VM printed at boot.",
            None: "",
        }[self.console_verified]
        if self.status is KeyStatus.MATCHES:
            return f"{self.alias}: host key {offered} is the pinned one.{console}"
        if self.status is KeyStatus.NEW:
            return f"{self.alias}: no key pinned yet; the VM offers {offered}.{console}"
        pinned = ", ".join(key.describe() for key in self.pinned)
        return (
            f"{self.alias}: the VM's host key changed, so ssh refuses to connect.\n"
            f"  pinned:  {pinned}\n"
            f"  offered: {offered}\n"
            "This is expected when the VM was rebuilt or replaced (new disk, new image). "
            "If it was not, someone may be intercepting the connection: do not trust it."
            f"{console}"
        )


def check_host_key(
    ssh: Path,
    alias: str,
    known_hosts: Path,
    *,
    ssh_config: Path,
    console_output: str | None = None,
) -> HostKeyCheck:
    """Compare the key the VM offers with the pin (and with the console's fingerprints)."""
    offered = offered_key(ssh, alias, ssh_config)
    pinned = tuple(pinned_keys(known_hosts, alias))
    if not pinned:
        status = KeyStatus.NEW
    elif offered in pinned:
        status = KeyStatus.MATCHES
    else:
        status = KeyStatus.CHANGED
    expected = console_fingerprints(console_output or "")
    verified = (offered.fingerprint in expected) if expected else None
    return HostKeyCheck(alias, status, offered, pinned, verified)


def trust_new_key(known_hosts: Path, check: HostKeyCheck) -> None:
    """Replace the pin of `check.alias` by the offered key (the person saw both fingerprints).

    Refused when the cloud console shows fingerprints and the offered key is not among them.
    """
    if check.console_verified is False:
        raise HostKeyError(
            f"Not trusting the new key of {check.alias}: {check.offered.describe()} is not "
            "among the fingerprints the VM printed at boot.",
            hint="Compare them in the cloud console before connecting to this VM.",
        )
    try:
        lines = known_hosts.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        lines = []
    kept = [line for line in lines if not _pins(line, check.alias)]
    if kept and not kept[-1].endswith("\n"):
        kept[-1] += "\n"
    text = "".join(kept) + check.offered.line(check.alias) + "\n"
    atomic_write(known_hosts, text.encode("utf-8"), mode=0o600)


def _pins(line: str, alias: str) -> bool:
    """True for a known_hosts line that pins a key to `alias` (@revoked/@cert lines aside)."""
    fields = line.split()
    return len(fields) >= 3 and not line.startswith(("#", "@")) and _host_matches(fields[0], alias)
