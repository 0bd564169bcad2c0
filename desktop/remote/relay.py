"""Carry an SSH connection for a ProxyCommand: wait for the VM's SSH port, then relay bytes.

ssh talks to a ProxyCommand over its stdin/stdout; the relay moves whole buffers between them
and a TCP socket (no per-byte work in Python) and ends when either side closes.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import BinaryIO

from desktop.core.errors import Offline

CHUNK = 256 * 1024
BANNER_PREFIX = b"SSH-"
_ATTEMPT_TIMEOUT = 5.0
_RETRY_PAUSE = 1.0


def wait_for_ssh(
    host: str,
    port: int,
    timeout: float,
    *,
    what: str,
    on_retry: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[socket.socket, bytes]:
    """A socket to `host:port` whose server has sent the start of an SSH banner.

    A freshly started VM accepts connections before sshd answers (or refuses them): retry until
    the first bytes start with `SSH-`, for at most `timeout` seconds. Returns the socket and
    the bytes already read (they belong to ssh and must be relayed first).
    """
    deadline = clock() + timeout
    problem = "no answer"
    while True:
        left = deadline - clock()
        if left <= 0:
            raise Offline(
                f"SSH on {what} ({host} port {port}) did not answer within {timeout:.0f} s "
                f"({problem}).",
                hint="Check that the VM booted (its console output) and that its firewall "
                "lets SSH in, then connect again.",
            )
        try:
            sock = socket.create_connection((host, port), timeout=min(_ATTEMPT_TIMEOUT, left))
        except OSError as exc:
            problem = exc.strerror or str(exc)
        else:
            try:
                first = sock.recv(CHUNK)
            except OSError as exc:
                problem = exc.strerror or str(exc)
                first = b""
            if first.startswith(BANNER_PREFIX):
                sock.settimeout(None)
                return sock, first
            sock.close()
            if not first:
                problem = "the connection closed before SSH answered"
            else:
                problem = "something other than SSH answered"
        if on_retry is not None:
            on_retry(deadline - clock())
        time.sleep(max(0.0, min(_RETRY_PAUSE, deadline - clock())))


def relay(sock: socket.socket, first: bytes, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Move bytes between stdin/stdout and `sock` until the server closes the connection.

    `first` (bytes already read from the server) goes out first. When stdin ends, the socket's
    write side is shut so the server sees the end too; reading continues until it closes.
    """
    out_fd = stdout.fileno()
    _write_all(out_fd, first)
    sending = threading.Thread(
        target=_stdin_to_socket, args=(stdin.fileno(), sock), name="relay-up", daemon=True
    )
    sending.start()
    try:
        while True:
            data = sock.recv(CHUNK)
            if not data:
                return
            _write_all(out_fd, data)
    except (BrokenPipeError, ConnectionResetError):
        return  # ssh went away, or the server reset: the session is over either way
    finally:
        sock.close()


def _stdin_to_socket(in_fd: int, sock: socket.socket) -> None:
    try:
        while data := os.read(in_fd, CHUNK):
            sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return  # the socket closed under us: the reading side ends the relay


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
