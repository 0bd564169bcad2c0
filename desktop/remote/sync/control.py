"""Reaching a running sync from another process (`devtray sync status` while `up` runs).

The process that runs an engine listens on a random 127.0.0.1 port and records the port and a
random token in a 0600 file under the user's state folder, one file per project folder. A
request is one JSON line carrying the token; the answer is one JSON line. TCP on loopback
rather than a Unix socket so Windows works the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from desktop.core.config import APP_NAME
from desktop.core.errors import DevtrayError, Offline, UsageError
from desktop.core.files import atomic_write
from desktop.core.sync_state import SyncControl, SyncStatus

log = logging.getLogger(__name__)

COMMANDS = ("status", "pause", "resume", "flush")
MAX_REQUEST = 64 * 1024
MAX_FLUSH_WAIT = 3600.0
ANSWER_MARGIN = 10.0


def registry_dir() -> Path:
    """Where running syncs record how to reach them."""
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)) / "sync"


def registry_path(root: Path) -> Path:
    """The record for one project folder."""
    digest = hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:20]
    return registry_dir() / f"{digest}.json"


@dataclass(frozen=True)
class Endpoint:
    """How to reach the process syncing one project."""

    root: str
    port: int
    token: str
    pid: int


class ControlServer:
    """Answers status/pause/resume/flush for one engine, on loopback, token-checked."""

    def __init__(self, control: SyncControl, root: Path, pid: int) -> None:
        self.control = control
        self.root = root.resolve()
        self.pid = pid
        self._token = secrets.token_hex(16)
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Listen, then publish the record (only this user may read it)."""
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.5)
        port = int(self._socket.getsockname()[1])
        record = Endpoint(root=str(self.root), port=port, token=self._token, pid=self.pid)
        atomic_write(
            registry_path(self.root),
            json.dumps(record.__dict__).encode("utf-8"),
            mode=0o600,
            backup=False,
        )
        self._thread = threading.Thread(target=self._serve, name="sync-control", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop answering and remove the record."""
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        path = registry_path(self.root)
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text(encoding="utf-8")).get("token") == self._token:
                path.unlink()

    def _serve(self) -> None:
        while self._socket is not None:
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(MAX_FLUSH_WAIT + ANSWER_MARGIN)
            try:
                request = json.loads(_read_line(conn))
                reply = self._handle(request)
            except (ValueError, OSError) as exc:
                reply = {"ok": False, "error": f"bad request: {exc}"}
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps(reply).encode("utf-8") + b"\n")

    def _handle(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict) or not hmac.compare_digest(
            str(request.get("token", "")), self._token
        ):
            return {"ok": False, "error": "not authorised"}
        command = request.get("command")
        if command == "status":
            status = self.control.status()
        elif command == "pause":
            status = self.control.pause()
        elif command == "resume":
            status = self.control.resume()
        elif command == "flush":
            timeout = float(request.get("timeout", 60))
            status = self.control.flush(min(max(timeout, 0.0), MAX_FLUSH_WAIT))
        else:
            return {"ok": False, "error": f"unknown command {command!r}"}
        return {"ok": True, "status": status.to_json()}


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST:
            raise ValueError("request too long")
    return data


def ask(root: Path, command: str, *, flush_timeout: float = 60.0) -> SyncStatus | None:
    """Send `command` to the process syncing `root`; None when no sync runs for it."""
    if command not in COMMANDS:
        raise UsageError(f"unknown sync command {command!r}")
    path = registry_path(root)
    try:
        record = Endpoint(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):
        log.warning("unreadable sync record %s; ignoring it", path)
        return None
    request = {"token": record.token, "command": command, "timeout": flush_timeout}
    try:
        with socket.create_connection(("127.0.0.1", record.port), timeout=5) as conn:
            conn.settimeout(flush_timeout + ANSWER_MARGIN)
            conn.sendall(json.dumps(request).encode("utf-8") + b"\n")
            reply = json.loads(_read_line(conn))
    except ConnectionRefusedError:
        # The process that wrote the record is gone (killed, crashed): a stale record.
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    except (OSError, ValueError) as exc:
        raise Offline(
            f"the devtray process syncing {root} (pid {record.pid}) did not answer: {exc}",
            hint="It may be busy or stuck; its terminal or the log shows more.",
        ) from None
    if not isinstance(reply, dict) or not reply.get("ok"):
        error = reply.get("error") if isinstance(reply, dict) else reply
        raise DevtrayError(f"the sync process refused `{command}`: {error}")
    return SyncStatus.from_json(reply["status"])
