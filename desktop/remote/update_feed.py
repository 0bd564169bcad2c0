"""Fetch the signed release feed and, when the person asks, the installer it offers.

Talks HTTPS only (plain http only to 127.0.0.1, for tests), bounds every read in size and time,
and hands the bytes to `desktop.core.updates`, which verifies before anything is believed.
Downloads go to a temporary name and become the installer's name only once the size and
SHA-256 from the signed feed match. Nothing here runs or installs what it downloads.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import ssl
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from desktop import __version__
from desktop.core.config import UpdatesConfig
from desktop.core.errors import BadConfig, Offline
from desktop.core.updates import (
    UpdateOffer,
    UpdateRejected,
    check_feed_url,
    decode_public_key,
    offer_from_feed,
    platform_key,
    verify_download,
)

FEED_LIMIT_BYTES = 1 << 20  # a feed is a few KB; refuse to read an endless response
TIMEOUT_SECONDS = 15.0
_CHUNK = 1 << 16


def check_for_update(
    config: UpdatesConfig,
    *,
    current: str = __version__,
    platform: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> UpdateOffer | None:
    """The update on offer for this machine, or None when devtray is up to date."""
    if config.feed_url is None or config.public_key is None:
        raise BadConfig(
            "no release feed is configured",
            hint="Set updates.feed_url and updates.public_key in config.toml.",
        )
    feed_url = check_feed_url(config.feed_url, "updates.feed_url")
    public_key = decode_public_key(config.public_key, "updates.public_key")
    feed = _fetch(feed_url, FEED_LIMIT_BYTES, ssl_context)
    signature = _fetch(feed_url + ".sig", 1024, ssl_context)
    return offer_from_feed(feed, signature, public_key, current, platform or platform_key())


def download_installer(
    offer: UpdateOffer, folder: Path, *, ssl_context: ssl.SSLContext | None = None
) -> Path:
    """Download the offered installer into `folder`, verified; returns its path."""
    asset = offer.asset
    name = Path(urlsplit(asset.url).path).name or f"devtray-{offer.release.version}"
    folder.mkdir(parents=True, exist_ok=True)
    fd, partial_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    partial = Path(partial_name)
    try:
        with os.fdopen(fd, "wb") as handle, _open(asset.url, ssl_context) as response:
            received = 0
            while chunk := response.read(_CHUNK):
                received += len(chunk)
                if received > asset.size:
                    raise UpdateRejected(
                        f"{name} is larger than the signed release feed says ({asset.size} bytes)"
                    )
                handle.write(chunk)
        verify_download(partial, asset)
        target = folder / name
        partial.replace(target)
        return target
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _fetch(url: str, limit: int, ssl_context: ssl.SSLContext | None) -> bytes:
    with _open(url, ssl_context) as response:
        data: bytes = response.read(limit + 1)
    if len(data) > limit:
        raise UpdateRejected(f"{url} is larger than {limit} bytes: not a release feed")
    return data


@contextlib.contextmanager
def _open(url: str, ssl_context: ssl.SSLContext | None) -> Iterator[http.client.HTTPResponse]:
    if urlsplit(url).scheme not in ("https", "http"):
        raise UpdateRejected(f"{url}: only https URLs are fetched")
    # http is only ever to loopback: check_feed_url and the feed parser refuse anything else.
    request = urllib.request.Request(url, headers={"User-Agent": f"devtray/{__version__}"})  # noqa: S310
    try:
        response: http.client.HTTPResponse = urllib.request.urlopen(  # noqa: S310
            request, timeout=TIMEOUT_SECONDS, context=ssl_context
        )
    except urllib.error.HTTPError as exc:
        raise Offline(
            f"{url} answered {exc.code} {exc.reason}",
            hint="The release site may be down; devtray will try again later.",
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Offline(f"cannot reach {url} ({reason})", hint="Check your network.") from None
    with response:
        yield response
