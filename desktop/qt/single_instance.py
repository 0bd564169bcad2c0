"""One tray per user: a second launch asks the first to show its menu, then exits."""

from __future__ import annotations

import getpass
import zlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from desktop.core.config import config_dir

SHOW_MENU = b"show-menu\n"
_CONNECT_TIMEOUT_MS = 500


def server_name() -> str:
    """A name unique to this user and config folder (so tests never meet a real tray)."""
    digest = f"{zlib.crc32(str(config_dir()).encode('utf-8')):08x}"
    return f"devtray-{getpass.getuser()}-{digest}"


class SingleInstance(QObject):
    """Claims the per-user name; the owner hears `show_requested` when another launch knocks."""

    show_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server: QLocalServer | None = None

    def notify_running(self) -> bool:
        """True if another instance answered (and was asked to show its menu)."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(_CONNECT_TIMEOUT_MS):
            return False
        socket.write(SHOW_MENU)
        socket.waitForBytesWritten(_CONNECT_TIMEOUT_MS)
        socket.disconnectFromServer()
        return True

    def claim(self) -> bool:
        """Become the instance: False when one is already running (it was told to show)."""
        if self.notify_running():
            return False
        # Nobody answered: a socket file left by a crash would make listen() fail.
        QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._knocked)
        if not server.listen(self.name):
            raise OSError(f"cannot listen on {self.name}: {server.errorString()}")
        self._server = server
        return True

    def _knocked(self) -> None:
        # Any connection is a knock: the only thing a second launch ever asks is "show".
        assert self._server is not None
        while (connection := self._server.nextPendingConnection()) is not None:
            connection.disconnectFromServer()
            connection.deleteLater()
            self.show_requested.emit()

    def release(self) -> None:
        """Stop listening (at quit)."""
        if self._server is not None:
            self._server.close()
            self._server = None
