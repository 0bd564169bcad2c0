"""Update offers: a signed release feed, checked against this version and platform.

The feed is a JSON document published next to the installers, with a detached Ed25519
signature (`FEED_URL.sig`, base64) made by `packaging/sign_feed.py` with the release key. The
app holds only the public key. Nothing in the feed is read before its signature verifies, an
offer names a file and its SHA-256, and devtray never installs anything itself: it tells the
person, and downloads only when asked (see `desktop/remote/update_feed.py`).

Feed (schema 1):

    {"schema": 1,
     "releases": [{"version": "0.2.0", "published": "2026-12-01", "notes": "...",
                   "page": "https://.../releases/0.2.0",
                   "assets": {"linux-x86_64": {"url": "https://.../devtray_0.2.0_amd64.deb",
                                               "sha256": "<64 hex>", "size": 49100000}}}]}

Platform keys: linux-x86_64, linux-aarch64, macos-arm64, macos-x86_64, windows-x86_64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import platform
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from desktop.core.errors import BadConfig, DevtrayError

FEED_SCHEMA = 1
ED25519_KEY_BYTES = 32
_VERSION = re.compile(r"^\d+(\.\d+){0,3}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UpdateRejected(DevtrayError):
    """The release feed (or a download) failed verification; nothing from it is offered."""

    title = "Update check failed"


@dataclass(frozen=True)
class ReleaseAsset:
    """One installer of one release, for one platform."""

    platform: str
    url: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Release:
    """One release in the feed."""

    version: str
    notes: str = ""
    published: str | None = None
    page: str | None = None
    assets: tuple[ReleaseAsset, ...] = ()

    def asset_for(self, platform_key: str) -> ReleaseAsset | None:
        """This release's installer for `platform_key`, if it has one."""
        return next((a for a in self.assets if a.platform == platform_key), None)


@dataclass(frozen=True)
class UpdateOffer:
    """A newer release with an installer for this machine: shown to the person, never applied."""

    current: str
    release: Release
    asset: ReleaseAsset

    def summary(self) -> str:
        """One line for a notification or the CLI."""
        return f"devtray {self.release.version} is available (you have {self.current})"


def version_key(version: str) -> tuple[int, ...]:
    """A comparable key for a dotted version ("0.10.1" > "0.9.9"); ValueError if malformed."""
    if not _VERSION.match(version):
        raise ValueError(f"not a version: {version!r}")
    parts = tuple(int(part) for part in version.split("."))
    return parts + (0,) * (4 - len(parts))


def platform_key(system: str | None = None, machine: str | None = None) -> str:
    """This machine's key in the feed's assets, e.g. `linux-x86_64`, `macos-arm64`."""
    system = system or sys.platform
    machine = (machine or platform.machine()).lower()
    arch = {"amd64": "x86_64", "x64": "x86_64", "arm64": "arm64", "aarch64": "aarch64"}.get(
        machine, machine
    )
    if system.startswith("linux"):
        return f"linux-{'aarch64' if arch == 'arm64' else arch}"
    if system == "darwin":
        return f"macos-{'arm64' if arch == 'aarch64' else arch}"
    if system in ("win32", "cygwin"):
        return f"windows-{arch}"
    return f"{system}-{arch}"


def check_feed_url(url: str, where: str) -> str:
    """`url` if it is an https URL (http only to this machine, for tests); else BadConfig."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parses the port: "https://h:x" raises here, not later
    except ValueError:  # "https://[::1" and other malformed hosts or ports
        parts = urlsplit("")
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return url
    raise BadConfig(
        f"{where} must be an https:// URL, not {url!r}",
        hint="Update feeds are fetched over HTTPS only (plain http only to 127.0.0.1).",
    )


def decode_public_key(text: str, where: str) -> bytes:
    """The raw 32-byte Ed25519 key from its base64 text; BadConfig naming `where` if invalid."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != ED25519_KEY_BYTES:
        raise BadConfig(
            f"{where} is not an Ed25519 public key (base64 of 32 bytes)",
            hint="Copy the key printed by `python packaging/sign_feed.py keygen`.",
        )
    return key


def verify_feed(feed: bytes, signature: bytes, public_key: bytes) -> None:
    """Raise UpdateRejected unless `signature` (base64 text) is the key's signature of `feed`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(signature.strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(raw, feed)
    except (InvalidSignature, binascii.Error, ValueError):
        raise UpdateRejected(
            "the release feed's signature does not verify: no update is offered",
            hint="Someone may be tampering with the download site; tell your administrator.",
        ) from None


def parse_feed(feed: bytes) -> tuple[Release, ...]:
    """The releases in a (verified) feed; UpdateRejected if it is not a feed devtray reads."""
    try:
        document = json.loads(feed.decode("utf-8"))
        if not isinstance(document, dict) or document.get("schema") != FEED_SCHEMA:
            raise ValueError(f"schema must be {FEED_SCHEMA}")
        return tuple(_release(entry) for entry in document["releases"])
    except (UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        raise UpdateRejected(
            f"the release feed cannot be read ({exc})",
            hint="The feed may be newer than this devtray: download the latest by hand.",
        ) from None


def _release(entry: Mapping[str, Any]) -> Release:
    version = str(entry["version"])
    version_key(version)
    assets = []
    for key, asset in dict(entry.get("assets", {})).items():
        sha256 = str(asset["sha256"]).lower()
        if not _SHA256.match(sha256):
            raise ValueError(f"{version}/{key}: sha256 must be 64 hex digits")
        url = str(asset["url"])
        if urlsplit(url).scheme != "https" and not _is_loopback(urlsplit(url).hostname or ""):
            raise ValueError(f"{version}/{key}: installer URL must be https")
        size = asset["size"]
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise ValueError(f"{version}/{key}: size must be a positive number of bytes")
        assets.append(ReleaseAsset(platform=str(key), url=url, sha256=sha256, size=size))
    return Release(
        version=version,
        notes=str(entry.get("notes", "")),
        published=entry.get("published"),
        page=entry.get("page"),
        assets=tuple(assets),
    )


def newest_offer(
    releases: Sequence[Release], current: str, platform_key: str
) -> UpdateOffer | None:
    """The newest release above `current` that has an installer for this platform, if any."""
    candidates = [
        release
        for release in releases
        if version_key(release.version) > version_key(current) and release.asset_for(platform_key)
    ]
    if not candidates:
        return None
    best = max(candidates, key=lambda release: version_key(release.version))
    asset = best.asset_for(platform_key)
    assert asset is not None
    return UpdateOffer(current=current, release=best, asset=asset)


def offer_from_feed(
    feed: bytes, signature: bytes, public_key: bytes, current: str, platform_key: str
) -> UpdateOffer | None:
    """Verify, then read, then choose: the only way a feed becomes an offer."""
    verify_feed(feed, signature, public_key)
    return newest_offer(parse_feed(feed), current, platform_key)


def verify_download(path: Path, asset: ReleaseAsset) -> None:
    """Raise UpdateRejected (and delete the file) unless it has the feed's size and SHA-256."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    size = path.stat().st_size
    if size != asset.size or digest.hexdigest() != asset.sha256:
        path.unlink(missing_ok=True)
        raise UpdateRejected(
            f"the downloaded {Path(urlsplit(asset.url).path).name} does not match the signed "
            f"release feed (size {size} vs {asset.size}, or checksum): it was deleted",
            hint="Try again later, or download the installer from the release page.",
        )


def check_due(last_checked: datetime | None, now: datetime, interval: timedelta) -> bool:
    """True when the periodic check should run (never checked, or `interval` has passed)."""
    return last_checked is None or now - last_checked >= interval


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
