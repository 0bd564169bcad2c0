"""Update offers: signature first, then the feed, then the newest release for this machine."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop.core.config import UpdatesConfig, parse_config
from desktop.core.errors import BadConfig
from desktop.core.updates import (
    ReleaseAsset,
    UpdateRejected,
    check_due,
    decode_public_key,
    offer_from_feed,
    parse_feed,
    platform_key,
    verify_download,
    version_key,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))

from sign_feed import public_key_text, sign

SHA = "ab" * 32


def feed_bytes(*releases: dict[str, object]) -> bytes:
    return json.dumps({"schema": 1, "releases": list(releases)}).encode()


def release(version: str, *platforms: str) -> dict[str, object]:
    return {
        "version": version,
        "notes": f"notes of {version}",
        "assets": {
            p: {"url": f"https://example.invalid/devtray-{version}-{p}", "sha256": SHA, "size": 10}
            for p in platforms
        },
    }


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public(key: Ed25519PrivateKey) -> bytes:
    return decode_public_key(public_key_text(key), "test")


def test_versions_compare_numerically() -> None:
    assert version_key("0.10.0") > version_key("0.9.9")
    assert version_key("1.0") == version_key("1.0.0")
    with pytest.raises(ValueError):
        version_key("1.0-beta; rm -rf")


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("linux", "x86_64", "linux-x86_64"),
        ("linux", "aarch64", "linux-aarch64"),
        ("darwin", "arm64", "macos-arm64"),
        ("darwin", "x86_64", "macos-x86_64"),
        ("win32", "AMD64", "windows-x86_64"),
    ],
)
def test_platform_keys(system: str, machine: str, expected: str) -> None:
    assert platform_key(system, machine) == expected


def test_offers_the_newest_release_with_an_installer_for_this_platform(
    key: Ed25519PrivateKey,
) -> None:
    feed = feed_bytes(
        release("0.2.0", "linux-x86_64", "macos-arm64"),
        release("0.3.0", "macos-arm64"),  # newer, but nothing for Linux
        release("0.1.0", "linux-x86_64"),
    )
    offer = offer_from_feed(feed, sign(feed, key), public(key), "0.1.0", "linux-x86_64")
    assert offer is not None
    assert (offer.release.version, offer.asset.platform) == ("0.2.0", "linux-x86_64")
    assert offer.summary() == "devtray 0.2.0 is available (you have 0.1.0)"
    mac = offer_from_feed(feed, sign(feed, key), public(key), "0.1.0", "macos-arm64")
    assert mac is not None and mac.release.version == "0.3.0"


def test_up_to_date_is_no_offer(key: Ed25519PrivateKey) -> None:
    feed = feed_bytes(release("0.2.0", "linux-x86_64"))
    assert offer_from_feed(feed, sign(feed, key), public(key), "0.2.0", "linux-x86_64") is None


def test_a_tampered_feed_is_rejected_before_it_is_read(key: Ed25519PrivateKey) -> None:
    feed = feed_bytes(release("0.2.0", "linux-x86_64"))
    signature = sign(feed, key)
    tampered = feed.replace(b"example.invalid", b"evil.invalid")
    with pytest.raises(UpdateRejected, match="signature does not verify"):
        offer_from_feed(tampered, signature, public(key), "0.1.0", "linux-x86_64")
    other_key = Ed25519PrivateKey.generate()
    with pytest.raises(UpdateRejected, match="signature does not verify"):
        offer_from_feed(feed, sign(feed, other_key), public(key), "0.1.0", "linux-x86_64")
    with pytest.raises(UpdateRejected, match="signature does not verify"):
        offer_from_feed(feed, b"not base64!", public(key), "0.1.0", "linux-x86_64")


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (b"not json", "cannot be read"),
        (json.dumps({"schema": 2, "releases": []}).encode(), "schema must be 1"),
        (feed_bytes({"version": "x.y"}), "not a version"),
        (
            feed_bytes(
                {
                    "version": "1.0",
                    "assets": {
                        "linux-x86_64": {
                            "url": "http://example.invalid/x",
                            "sha256": SHA,
                            "size": 1,
                        }
                    },
                }
            ),
            "must be https",
        ),
        (
            feed_bytes(
                {
                    "version": "1.0",
                    "assets": {
                        "linux-x86_64": {"url": "https://e.invalid/x", "sha256": "abc", "size": 1}
                    },
                }
            ),
            "64 hex digits",
        ),
    ],
)
def test_a_malformed_feed_is_a_clear_error(document: bytes, problem: str) -> None:
    with pytest.raises(UpdateRejected, match=problem):
        parse_feed(document)


def test_download_must_match_the_signed_size_and_checksum(tmp_path: Path) -> None:
    import hashlib

    installer = tmp_path / "devtray.deb"
    installer.write_bytes(b"0123456789")
    good = ReleaseAsset(
        "linux-x86_64",
        "https://e.invalid/devtray.deb",
        hashlib.sha256(b"0123456789").hexdigest(),
        10,
    )
    verify_download(installer, good)
    bad = ReleaseAsset("linux-x86_64", "https://e.invalid/devtray.deb", SHA, 10)
    with pytest.raises(UpdateRejected, match="does not match the signed release feed"):
        verify_download(installer, bad)
    assert not installer.exists()


def test_periodic_checks_need_a_feed_and_are_off_in_the_demo_unless_asked() -> None:
    feed = "https://releases.example.invalid/feed.json"
    assert not UpdatesConfig().periodic_check(demo=False)
    assert UpdatesConfig(feed_url=feed, public_key="k").periodic_check(demo=False)
    assert not UpdatesConfig(feed_url=feed, public_key="k").periodic_check(demo=True)
    assert UpdatesConfig(feed_url=feed, public_key="k", check=True).periodic_check(demo=True)
    assert not UpdatesConfig(feed_url=feed, public_key="k", check=False).periodic_check(demo=False)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert check_due(None, now, timedelta(hours=24))
    assert not check_due(now - timedelta(hours=1), now, timedelta(hours=24))


def test_updates_section_is_validated(key: Ed25519PrivateKey, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    good = parse_config(
        f'[updates]\nfeed_url = "https://r.example.invalid/feed.json"\n'
        f'public_key = "{public_key_text(key)}"\ncheck = false\ninterval_hours = 6\n',
        path,
    )
    assert good.updates.check is False and good.updates.interval_hours == 6.0
    for text, problem in [
        (
            '[updates]\nfeed_url = "http://r.example.invalid/feed.json"\npublic_key = "x"\n',
            "must be an https:// URL",
        ),
        (
            '[updates]\nfeed_url = "https://r.example.invalid/feed.json"\n',
            "public_key is needed with feed_url",
        ),
        ('[updates]\npublic_key = "c2hvcnQ="\n', "not an Ed25519 public key"),
        ('[updates]\ncheck = "yes"\n', "updates.check must be true or false"),
    ]:
        with pytest.raises(BadConfig, match=problem):
            parse_config(text, path)
