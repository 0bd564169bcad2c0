"""The update check end to end: a release site on 127.0.0.1 (HTTP and HTTPS), the real fetch
layer, the `devtray update` command, signature and checksum verification."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import ssl
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop.app import build_services
from desktop.cli.main import main as cli_main
from desktop.core.config import UpdatesConfig
from desktop.core.errors import Offline
from desktop.core.updates import UpdateRejected, platform_key
from desktop.remote.update_feed import check_for_update, download_installer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))

from sign_feed import public_key_text, sign

INSTALLER = b"pretend installer " * 1000


@dataclass
class ReleaseSite:
    """Files served on 127.0.0.1, changeable by the test."""

    url: str
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def publish(self, key: Ed25519PrivateKey, installer: bytes = INSTALLER, size: int = 0) -> None:
        asset = {
            "url": f"{self.url}/devtray-0.9.0.bin",
            "sha256": hashlib.sha256(INSTALLER).hexdigest(),
            "size": size or len(INSTALLER),
        }
        feed = json.dumps(
            {
                "schema": 1,
                "releases": [
                    {"version": "0.9.0", "notes": "Faster tray.", "assets": {platform_key(): asset}}
                ],
            }
        ).encode()
        self.files.update(
            {"/feed.json": feed, "/feed.json.sig": sign(feed, key), "/devtray-0.9.0.bin": installer}
        )


def serve(context: ssl.SSLContext | None = None) -> Iterator[ReleaseSite]:
    site = ReleaseSite(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(self.path)
            body = site.files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    site.url = f"{'https' if context else 'http'}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site() -> Iterator[ReleaseSite]:
    yield from serve()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def config_for(site: ReleaseSite, key: Ed25519PrivateKey) -> UpdatesConfig:
    return UpdatesConfig(feed_url=f"{site.url}/feed.json", public_key=public_key_text(key))


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(list(args), build_services, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_offers_then_downloads_a_verified_installer(
    site: ReleaseSite, key: Ed25519PrivateKey, config_file: Path, tmp_path: Path
) -> None:
    site.publish(key)
    config_file.write_text(
        f'[updates]\nfeed_url = "{site.url}/feed.json"\npublic_key = "{public_key_text(key)}"\n',
        encoding="utf-8",
    )
    code, out, err = run_cli("update")
    assert (code, err) == (0, "")
    assert "devtray 0.9.0 is available (you have 0.1.0)" in out
    assert "/devtray-0.9.0.bin" not in site.requests  # offered, not fetched

    code, out, err = run_cli("update", "--download", str(tmp_path / "dl"))
    assert code == 0, err
    assert (tmp_path / "dl" / "devtray-0.9.0.bin").read_bytes() == INSTALLER
    assert "Downloaded and verified" in out
    assert [p.name for p in (tmp_path / "dl").iterdir()] == ["devtray-0.9.0.bin"]


def test_cli_without_a_feed_says_what_to_configure(config_file: Path) -> None:
    code, _, err = run_cli("update")
    assert code == 2
    assert "no release feed is configured" in err and "updates.feed_url" in err


def test_a_feed_signed_with_another_key_offers_nothing(
    site: ReleaseSite, key: Ed25519PrivateKey
) -> None:
    site.publish(Ed25519PrivateKey.generate())
    with pytest.raises(UpdateRejected, match="signature does not verify"):
        check_for_update(config_for(site, key))


def test_a_swapped_installer_is_deleted_not_kept(
    site: ReleaseSite, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    site.publish(key, installer=b"x" * len(INSTALLER))
    offer = check_for_update(config_for(site, key))
    assert offer is not None
    with pytest.raises(UpdateRejected, match="does not match the signed release feed"):
        download_installer(offer, tmp_path / "dl")
    assert list((tmp_path / "dl").iterdir()) == []


def test_a_download_larger_than_announced_stops_early(
    site: ReleaseSite, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    site.publish(key, installer=INSTALLER * 50, size=len(INSTALLER))
    offer = check_for_update(config_for(site, key))
    assert offer is not None
    with pytest.raises(UpdateRejected, match="larger than the signed release feed says"):
        download_installer(offer, tmp_path / "dl")
    assert list((tmp_path / "dl").iterdir()) == []


def test_missing_feed_is_offline_not_a_crash(site: ReleaseSite, key: Ed25519PrivateKey) -> None:
    with pytest.raises(Offline, match="404"):
        check_for_update(config_for(site, key))


def test_over_https_with_a_trusted_certificate(key: Ed25519PrivateKey) -> None:
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    for site in serve(server_context):
        site.publish(key)
        offer = check_for_update(config_for(site, key), ssl_context=client_context)
        assert offer is not None and offer.release.version == "0.9.0"
        # The system's trust store does not know this authority: refused, not ignored.
        with pytest.raises(Offline, match="CERTIFICATE_VERIFY_FAILED"):
            check_for_update(config_for(site, key))
