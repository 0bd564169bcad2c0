"""Carry an SSH connection for a ProxyCommand: wait for the VM's SSH port, then relay bytes.

ssh talks to a ProxyCommand over its stdin/stdout; the relay moves whole buffers between them
and a TCP socket (no per-byte work in Python) and ends when either side closes.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import BinaryIO

from desktop.core.errors import Offline

CHUNK = 256 * 1024
PIPE_SIZE = 1024 * 1024  # Linux's default /proc/sys/fs/pipe-max-size
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
        attempt = ssh_answer(host, port, min(_ATTEMPT_TIMEOUT, left))
        if isinstance(attempt, tuple):
            return attempt
        problem = attempt
        if on_retry is not None:
            on_retry(deadline - clock())
        time.sleep(max(0.0, min(_RETRY_PAUSE, deadline - clock())))


def ssh_answer(host: str, port: int, timeout: float) -> tuple[socket.socket, bytes] | str:
    """One attempt, bounded by `timeout` in all: the socket and the first bytes when an SSH
    server answered at `host:port`, else why not (a few words)."""
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        first = sock.recv(CHUNK)
    except OSError as exc:
        sock.close()
        return exc.strerror or str(exc)
    if first.startswith(BANNER_PREFIX):
        sock.settimeout(None)
        return sock, first
    sock.close()
    if not first:
        return "the connection closed before SSH answered"
    return "something other than SSH answered"


def relay(sock: socket.socket, first: bytes, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Move bytes between stdin/stdout and `sock` until the server closes the connection.

    `first` (bytes already read from the server) goes out first. When stdin ends, the socket's
    write side is shut so the server sees the end too; reading continues until it closes.
    """
    # ssh sets TCP_NODELAY on its own socket; without it keystrokes wait for Nagle here.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    in_fd, out_fd = stdin.fileno(), stdout.fileno()
    _widen_pipes(in_fd, out_fd)
    _write_all(out_fd, first)
    sending = threading.Thread(
        target=_stdin_to_socket, args=(in_fd, sock), name="relay-up", daemon=True
    )
    sending.start()
    buffer = memoryview(bytearray(CHUNK))  # reused: no allocation per read
    try:
        while count := sock.recv_into(buffer):
            _write_all(out_fd, buffer[:count])
    except (BrokenPipeError, ConnectionResetError):
        return  # ssh went away, or the server reset: the session is over either way
    finally:
        sock.close()


def _stdin_to_socket(in_fd: int, sock: socket.socket) -> None:
    buffer = memoryview(bytearray(CHUNK))
    try:
        while count := _read_into(in_fd, buffer):
            sock.sendall(buffer[:count])
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return  # the socket closed under us: the reading side ends the relay


def _read_into(fd: int, buffer: memoryview) -> int:
    if sys.platform == "win32":  # no readv: a fresh bytes object per read
        data = os.read(fd, len(buffer))
        buffer[: len(data)] = data
        return len(data)
    return os.readv(fd, [buffer])


def _widen_pipes(*fds: int) -> None:
    """ssh's pipes to a ProxyCommand hold 64 KiB: a bulk copy wakes the relay every 64 KiB.
    Larger pipes (Linux, up to its unprivileged limit) mean fewer wake-ups; best effort."""
    if sys.platform != "linux":
        return
    import fcntl

    for fd in fds:
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            continue  # not a pipe, or over the limit: the default size works


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
