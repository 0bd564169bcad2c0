"""One tray per user: a second launch asks the first to show its menu, then exits.

Who is first is settled by a file lock before the icon appears (cheap); the local socket a
second launch knocks on opens once the icon is up, so start-up never loads Qt's networking.
A knock that comes while the first is still starting is retried until it listens.

The same socket carries `devtray up` / `down` handing the day to the tray: a JSON request
line, answered with progress lines (see `services.handover`); `day_requested` hands it on
with a `SocketReply` that worker threads may write to.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop.core.config import config_dir
from desktop.core.errors import DevtrayError
from desktop.services import handover
from desktop.system.instance_lock import InstanceLock, try_lock

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

SHOW_MENU = b"show-menu\n"
_CONNECT_TIMEOUT_MS = 500
# How long a second launch keeps knocking on a first one that holds the lock but is not
# listening yet (it is between taking the lock and showing its icon).
_KNOCK_FOR_SECONDS = 10.0
_KNOCK_INTERVAL_SECONDS = 0.05


server_name = handover.server_name  # the CLI finds the tray under the same name


def lock_file() -> Path:
    """The lock that makes a tray the instance for its config folder."""
    return config_dir() / ".tray.lock"


class SingleInstance(QObject):
    """Claims the per-user lock; the owner hears `show_requested` when another launch knocks."""

    show_requested = Signal()
    # A JSON request from the CLI (`{"cmd": "connect.starting", ...}`), read off the socket.
    message_received = Signal(dict)
    day_requested = Signal(object, object)  # (handover.DayRequest, SocketReply)

    def __init__(
        self, name: str | None = None, lock: Path | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._name = name
        self._lock_file = lock
        self._lock: InstanceLock | None = None
        self._server: QLocalServer | None = None
        self.other_answered = False  # after a failed claim: did the running tray hear us?

    @property
    def name(self) -> str:
        """The local socket's name."""
        if self._name is None:
            self._name = server_name()
        return self._name

    def claim(self) -> bool:
        """Become the instance: False when one is already running (it was asked to show)."""
        path = self._lock_file or lock_file()
        try:
            self._lock = try_lock(path)
        except OSError as exc:
            # A folder that cannot hold a lock (read-only, some network file systems): a tray
            # that answers the socket is the only sign of another instance left.
            log.warning("cannot lock %s (%s); asking the socket instead", path, exc)
            self.other_answered = self._knock(for_seconds=0.0)
            return not self.other_answered
        if self._lock is not None:
            return True
        self.other_answered = self._knock(for_seconds=_KNOCK_FOR_SECONDS)
        return False

    def listen(self) -> None:
        """Start hearing knocks; the instance calls it once its icon is up."""
        from PySide6.QtNetwork import QLocalServer

        # We hold the lock, so a socket file here was left by a crash: listen() would fail.
        QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._knocked)
        if not server.listen(self.name):
            raise OSError(f"cannot listen on {self.name}: {server.errorString()}")
        self._server = server

    def _knock(self, for_seconds: float) -> bool:
        """Ask the running instance to show its menu; False if it never answered."""
        from PySide6.QtNetwork import QLocalSocket

        deadline = time.monotonic() + for_seconds
        while True:
            socket = QLocalSocket()
            socket.connectToServer(self.name)
            if socket.waitForConnected(_CONNECT_TIMEOUT_MS):
                socket.write(SHOW_MENU)
                socket.waitForBytesWritten(_CONNECT_TIMEOUT_MS)
                socket.disconnectFromServer()
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(_KNOCK_INTERVAL_SECONDS)

    def _knocked(self) -> None:
        assert self._server is not None
        while (connection := self._server.nextPendingConnection()) is not None:
            connection.readyRead.connect(lambda c=connection: self._read(c))
            # A knock that hung up before its line arrived (an older devtray) still shows.
            connection.disconnected.connect(lambda c=connection: self._hung_up(c))

    def _read(self, connection: QLocalSocket) -> None:
        if not connection.canReadLine():
            if connection.bytesAvailable() > handover.MAX_LINE:
                connection.abort()
            return
        line = bytes(connection.readLine().data())
        connection.readyRead.disconnect()
        connection.disconnected.disconnect()
        message = _cli_message(line)
        if message is not None:  # a note from the CLI (start on connect): no answer
            connection.disconnectFromServer()
            connection.deleteLater()
            self.message_received.emit(message)
            return
        try:
            request = handover.decode_request(line)
        except DevtrayError as exc:
            log.warning("ignored a request on the tray's socket: %s", exc)
            connection.abort()
            connection.deleteLater()
            return
        if request is None:
            connection.disconnectFromServer()
            connection.deleteLater()
            self.show_requested.emit()
            return
        self.day_requested.emit(request, SocketReply(connection))

    def _hung_up(self, connection: QLocalSocket) -> None:
        connection.deleteLater()
        self.show_requested.emit()

    def release(self) -> None:
        """Stop listening and give up the claim (at quit)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None


class SocketReply(QObject):
    """Lines back to the CLI on one connection; `send` and `close` may be called from any
    thread (they reach the socket on the GUI thread). A CLI that hung up (Ctrl-C detaches)
    just stops hearing: the day goes on."""

    _line = Signal(bytes)
    _close = Signal()

    def __init__(self, connection: QLocalSocket) -> None:
        super().__init__(connection)
        self._connection = connection
        self._line.connect(self._write)
        self._close.connect(self._finish)

    def send(self, line: bytes) -> None:
        """Queue one line for the CLI."""
        self._line.emit(line)

    def close(self) -> None:
        """The answer is complete: hang up once it is written."""
        self._close.emit()

    def _write(self, line: bytes) -> None:
        self._connection.write(line)
        self._connection.flush()

    def _finish(self) -> None:
        self._connection.disconnectFromServer()
        self._connection.deleteLater()


def _cli_message(line: bytes) -> dict[str, object] | None:
    """A JSON note from the CLI that is not a day request (`{"cmd": "connect.starting"}`)."""
    if not line.lstrip().startswith(b"{"):
        return None
    try:
        message = json.loads(line)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    command = message.get("cmd")
    if not isinstance(command, str) or command.startswith(handover.DAY_PREFIX):
        return None
    return message
