"""Shared test set-up: an isolated home, loopback-only networking, and tool requirements.

Network safety: every test runs with a guard that refuses any socket connection that is not to
127.0.0.0/8, ::1 or a Unix socket, and with the EC2 metadata endpoint disabled, so neither a
bug nor an SDK's credential probe can reach the outside.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.moto_server", "tests.sshd", "tests.arm_emulator", "tests.imds_standin"]

REQUIRE_ALL = os.environ.get("DEVTRAY_REQUIRE_ALL") == "1"
# Found once: a test may hand its children a PATH without ssh.
SSH = shutil.which("ssh")


def require_tool(*names: str) -> None:
    """Skip (or, with DEVTRAY_REQUIRE_ALL=1 as in CI, fail) when a program is missing."""
    missing = [name for name in names if shutil.which(name) is None]
    if not missing:
        return
    message = f"needs {', '.join(missing)} (installed by the README's test command)"
    if REQUIRE_ALL:
        pytest.fail(message)
    pytest.skip(message)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NonLoopbackConnection(AssertionError):
    """A test tried to reach something other than this machine."""


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if not is_loopback(str(host)):
            raise NonLoopbackConnection(f"tests may only connect to loopback, not {address!r}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse non-loopback connections from this process."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HOME, config dir, log dir, AWS files and keyring for every test."""
    home = tmp_path / "home"
    home.mkdir()
    for name, value in {
        "HOME": home,
        "USERPROFILE": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_STATE_HOME": home / ".local" / "state",
        "XDG_CACHE_HOME": home / ".cache",
        "DEVTRAY_CONFIG_DIR": home / ".config" / "devtray",
        "DEVTRAY_LOG_DIR": home / ".local" / "state" / "devtray" / "log",
        "AWS_CONFIG_FILE": home / ".aws" / "config",
        "AWS_SHARED_CREDENTIALS_FILE": home / ".aws" / "credentials",
    }.items():
        monkeypatch.setenv(name, str(value))
    # Fake static credentials: the default chain must never go looking elsewhere.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    # The tray speaks its source language with the CLI's formats, whatever this machine's LANG.
    monkeypatch.setenv("DEVTRAY_LANG", "C")
    # botocore fixes its SSO token cache folder (~/.aws/sso/cache) when first imported, which
    # may have been under another test's HOME (or the real one): point it at this HOME.
    sso_cache = str(home / ".aws" / "sso" / "cache")
    for module, owner in (
        ("botocore.credentials", "SSOProvider"),
        ("botocore.tokens", "SSOTokenProvider"),
    ):
        if module in sys.modules:
            monkeypatch.setattr(
                getattr(sys.modules[module], owner), "_SSO_TOKEN_CACHE_DIR", sso_cache
            )
    masters_before = _ssh_masters(home)
    yield home
    _close_ssh_masters(_ssh_masters(home) - masters_before)


def _ssh_masters(home: Path) -> set[Path]:
    """The control sockets in the folders devtray's SSH block shares connections from."""
    folders = (home / ".ssh", Path(tempfile.gettempdir()) / f"devtray-{os.getuid()}")
    return {path for folder in folders if folder.is_dir() for path in folder.glob("devtray-*")}


def _close_ssh_masters(sockets: set[Path]) -> None:
    """Ends the ControlPersist masters a test's ssh left: for a user they stay 10 minutes on
    purpose, after a test they would outlive the run with their proxy and sshd session."""
    if SSH is None:
        return
    for path in sorted(sockets):
        subprocess.run(
            [SSH, "-F", os.devnull, "-o", f"ControlPath={path}", "-O", "exit", "127.0.0.1"],
            capture_output=True,
            timeout=10,
            check=False,
        )


@pytest.fixture
def config_file(isolated_home: Path) -> Path:
    """Where devtray looks for config.toml in this test (the file is not created)."""
    path = Path(os.environ["DEVTRAY_CONFIG_DIR"]) / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
