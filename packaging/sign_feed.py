"""Make the release key, and sign the release feed with it (run by whoever publishes a release).

    python packaging/sign_feed.py keygen PRIVATE_KEY_FILE      # once; prints the public key
    python packaging/sign_feed.py sign FEED_JSON [--key FILE]  # writes FEED_JSON.sig

The private key never enters the repository: keep the file in the release manager's secret
store (or CI's secrets, passed as DEVTRAY_UPDATE_SIGNING_KEY with the PEM text). The public key
printed by `keygen` goes into the config devtray ships with (`[updates] public_key`).
"""

from __future__ import annotations

import argparse
import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEY_ENV = "DEVTRAY_UPDATE_SIGNING_KEY"


def generate_key(path: Path) -> str:
    """Write a new private key (PEM, mode 600) to `path`; returns the public key as base64."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return public_key_text(key)


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The base64 of the raw 32-byte public key, as `[updates] public_key` wants it."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_key(pem: bytes) -> Ed25519PrivateKey:
    """The Ed25519 private key in `pem`."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit("the signing key is not an Ed25519 key")
    return key


def sign(feed: bytes, key: Ed25519PrivateKey) -> bytes:
    """The detached signature of `feed`, base64 (the content of FEED.sig)."""
    return base64.b64encode(key.sign(feed)) + b"\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen")
    keygen.add_argument("private_key", type=Path)
    signer = commands.add_parser("sign")
    signer.add_argument("feed", type=Path)
    signer.add_argument("--key", type=Path, help=f"PEM file (else ${KEY_ENV})")
    args = parser.parse_args()
    if args.command == "keygen":
        print(generate_key(args.private_key))
        return
    pem = args.key.read_bytes() if args.key else os.environ.get(KEY_ENV, "").encode()
    if not pem:
        raise SystemExit(f"give --key FILE or set {KEY_ENV}")
    signature = args.feed.with_name(args.feed.name + ".sig")
    signature.write_bytes(sign(args.feed.read_bytes(), load_key(pem)))
    print(signature)


if __name__ == "__main__":
    main()
