"""Tell a running tray something through its single-instance socket, without Qt.

The tray listens with a QLocalServer (`desktop/qt/single_instance.py`): a Unix socket in Qt's
temp folder, a named pipe on Windows. The CLI speaks to it with the standard library: one line
of JSON, then it hangs up. No tray listening is not an error: the caller says it on stderr.
"""

from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path

from desktop.core.config import config_dir

CONNECT_TIMEOUT = 0.5
MAX_MESSAGE = 4096  # the tray reads no more than this from one connection


def server_name() -> str:
    """The tray's socket name: unique to this user and config folder (tests never meet a
    real tray)."""
    import getpass

    digest = f"{zlib.crc32(str(config_dir()).encode('utf-8')):08x}"
    return f"devtray-{getpass.getuser()}-{digest}"


def socket_path(name: str) -> Path:
    """Where a QLocalServer called `name` listens on Unix: Qt's temp folder ($TMPDIR or /tmp)."""
    # Qt's QDir::tempPath(), not Python's tempfile rules: the path must be the one Qt chose.
    return Path(os.environ.get("TMPDIR") or "/tmp") / name  # noqa: S108


def tell_tray(message: dict[str, object], name: str | None = None) -> bool:
    """Send `message` to the running tray; False when none listens (or it did not take it)."""
    # Loaded here: the tray imports this module for its socket's name while its icon comes up.
    import json
    import socket

    line = json.dumps(message).encode("utf-8") + b"\n"
    if len(line) > MAX_MESSAGE:
        raise ValueError("tray message too long")
    name = name or server_name()
    try:
        if sys.platform == "win32":
            with open(rf"\\.\pipe\{name}", "wb", buffering=0) as pipe:
                pipe.write(line)
            return True
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT)
            sock.connect(str(socket_path(name)))
            sock.sendall(line)
        return True
    except OSError:
        return False
