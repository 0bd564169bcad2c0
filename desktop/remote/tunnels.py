"""Port forwards that stay up: one supervised `ssh -N -L ...` per forward, through the alias.

Each tunnel is its own connection (no connection sharing) so that its death is visible to the
supervisor, which restarts it with back-off, and promptly after a wake from sleep. `ssh` exits
0 on SIGTERM and keeps running when a forward cannot bind unless told otherwise, hence
`ExitOnForwardFailure=yes` and readiness = the local port accepts a connection.

`Tunnels.traffic()` says what went through the forwards since the previous look, for the
auto-stop's idle rule, from the laptop alone (no round trip to the VM): on Linux the bytes the
tunnels' ssh processes moved through their sockets (`/proc/PID/io`); elsewhere, where the OS
does not count a process's socket bytes, the connections accepted through a forward that were
not there at the previous look.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from desktop.core.errors import DevtrayError
from desktop.core.forwards import Forward
from desktop.core.text import QT_TRANSLATE_NOOP, Text
from desktop.remote.ssh_config import config_option
from desktop.remote.supervisor import (
    Backoff,
    ProcessSpec,
    ProcessState,
    ProcessStatus,
    Supervised,
    Supervisor,
)

# Tunnels notice a dead connection within ~15 s, faster than the block's interactive defaults.
KEEPALIVE = ("-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3")
TUNNEL_BACKOFF = Backoff(initial=0.25, factor=2.0, maximum=15.0)


class PortInUse(DevtrayError):
    """The laptop port of a forward is taken by another program."""

    title = "Port in use"


class TunnelState(enum.StrEnum):
    """What the tray shows per tunnel."""

    CONNECTING = "connecting"
    UP = "up"
    RETRYING = "retrying"
    FAILED = "failed"
    STOPPED = "stopped"


_STATES = {
    ProcessState.STARTING: TunnelState.CONNECTING,
    ProcessState.READY: TunnelState.UP,
    ProcessState.RETRYING: TunnelState.RETRYING,
    ProcessState.FAILED: TunnelState.FAILED,
    ProcessState.STOPPED: TunnelState.STOPPED,
}


@dataclass(frozen=True)
class TunnelStatus:
    """One tunnel for the UI: the forward, its state and (when not up) the reason."""

    forward: Forward
    state: TunnelState
    reason: str | None = None

    def words(self) -> Text:
        """`localhost:8000 -> localhost:8000: up` or `...: retrying (Connection refused)`
        (translatable)."""
        forward, state = self.forward.describe(), _STATE_WORDS[self.state]
        if self.reason and self.state is not TunnelState.UP:
            return _WHY(forward=forward, state=state, reason=self.reason)
        return _STATE(forward=forward, state=state)

    def describe(self) -> str:
        """`words` in English."""
        return str(self.words())


_STATE = QT_TRANSLATE_NOOP("tunnels", "{forward}: {state}")
_WHY = QT_TRANSLATE_NOOP("tunnels", "{forward}: {state} ({reason})")
_STATE_WORDS = {
    TunnelState.CONNECTING: QT_TRANSLATE_NOOP("tunnels", "connecting", "tunnel state"),
    TunnelState.UP: QT_TRANSLATE_NOOP("tunnels", "up", "tunnel state"),
    TunnelState.RETRYING: QT_TRANSLATE_NOOP("tunnels", "retrying", "tunnel state"),
    TunnelState.FAILED: QT_TRANSLATE_NOOP("tunnels", "failed", "tunnel state"),
    TunnelState.STOPPED: QT_TRANSLATE_NOOP("tunnels", "stopped", "tunnel state"),
}


@dataclass(frozen=True)
class TunnelTraffic:
    """What went through one VM's forwards between two looks."""

    # Payload bytes, estimated from the ssh processes' socket I/O (ssh reads each forwarded
    # byte from one socket and writes it to the other); None where the OS does not count it.
    bytes: int | None
    # Connections accepted through a forward that were not open at the previous look.
    new_connections: int


# Linux counts every byte a process reads or writes, sockets included (rchar/wchar). macOS has
# no per-process I/O counters, and Windows' are not known to include sockets.
MEASURES_BYTES = sys.platform.startswith("linux")

_Connection = tuple[int, str, int, int]  # ssh pid, client address, client port, forward port


class TrafficMeter:
    """Compares each look at the tunnels' ssh processes with the previous one.

    A process seen for the first time (a tunnel just started or restarted) only sets a
    baseline: its start-up reads and the supervisor's readiness probe are not traffic.
    """

    def __init__(self, *, measure_bytes: bool = MEASURES_BYTES) -> None:
        self.measure_bytes = measure_bytes
        self._lock = threading.Lock()
        self._io: dict[int, int] = {}
        self._connections: set[_Connection] | None = None

    def look(self, children: Sequence[tuple[int, int]]) -> TunnelTraffic:
        """`children` are (ssh pid, forward's local port): the traffic since the last look."""
        io: dict[int, int] = {}
        connections: set[_Connection] = set()
        with self._lock:  # one look at a time, so each byte is compared with the one before
            for pid, port in children:
                with contextlib.suppress(psutil.Error):  # the tunnel ended or is restarting
                    process = psutil.Process(pid)
                    connections |= _accepted(process, pid, port)
                    if self.measure_bytes:
                        counters = process.io_counters()
                        io[pid] = counters.read_chars + counters.write_chars
            moved = sum(
                max(0, total - self._io[pid]) for pid, total in io.items() if pid in self._io
            )
            seen = self._connections
            self._io, self._connections = io, connections
        return TunnelTraffic(
            bytes=moved // 2 if self.measure_bytes else None,
            new_connections=len(connections - seen) if seen is not None else 0,
        )


def _accepted(process: psutil.Process, pid: int, port: int) -> set[_Connection]:
    """The open connections `process` accepted on its forward's local `port`."""
    return {
        (pid, conn.raddr.ip, conn.raddr.port, port)
        for conn in process.net_connections(kind="inet")
        if conn.status == psutil.CONN_ESTABLISHED and conn.raddr and conn.laddr.port == port
    }


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_accepts(port: int, host: str = "127.0.0.1", timeout: float = 0.2) -> bool:
    """True if something accepts TCP connections on host:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def port_holder(port: int) -> str | None:
    """`name (pid N: command line)` of the process listening on `port`, when we may know."""
    listening: list[int | None] = []
    try:
        listening = [
            c.pid
            for c in psutil.net_connections(kind="tcp")
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
        ]
    except psutil.AccessDenied:  # macOS without root: ask process by process
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if any(
                    c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
                    for c in process.net_connections(kind="tcp")
                ):
                    listening.append(process.pid)
    for pid in listening:
        if pid is None:
            return "a program of another user"
        try:
            process = psutil.Process(pid)
            command = " ".join(process.cmdline())[:120]
            return f"{process.name()} (pid {pid}: {command})"
        except psutil.Error:
            return f"pid {pid}"
    return None


def check_port_free(forward: Forward) -> None:
    """Raise PortInUse naming the holder when the forward's local port cannot be bound.

    The check binds the way ssh's own listener does (`SO_REUSEADDR` on POSIX): a socket left
    in TIME_WAIT by traffic through the previous tunnel is not a port in use, and ssh will
    bind it. (On Windows the option would let two listeners share the port; there TIME_WAIT
    never blocks a bind anyway.)
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((forward.bind_address, forward.local_port))
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
            holder = port_holder(forward.local_port) or "another program"
            raise PortInUse(
                f"Local port {forward.local_port} is already in use by {holder}.",
                hint=f"Stop it, or forward another local port to the VM's "
                f'{forward.remote_port}, e.g. ports = ["{forward.local_port + 1}:'
                f'{forward.remote_port}"] in .devtray.toml.',
            ) from None


def tunnel_argv(ssh: Path, alias: str, forward: Forward, ssh_config: Path) -> tuple[str, ...]:
    """The `ssh -N` command line of one tunnel (argv, never a shell string)."""
    return (
        str(ssh),
        *config_option(ssh_config),
        "-N",
        "-o",
        "ExitOnForwardFailure=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=15",
        "-o",
        "ControlMaster=no",
        "-o",
        "ControlPath=none",
        *KEEPALIVE,
        "-L",
        forward.ssh_argument(),
        alias,
    )


class Tunnels:
    """The forwards of one VM, supervised; `statuses()` feeds the tray's Tunnels row."""

    def __init__(
        self,
        supervisor: Supervisor,
        ssh: Path,
        alias: str,
        *,
        ssh_config: Path,
        backoff: Backoff = TUNNEL_BACKOFF,
        meter: TrafficMeter | None = None,
    ) -> None:
        self.supervisor = supervisor
        self.ssh = ssh
        self.alias = alias
        self.ssh_config = ssh_config
        self.backoff = backoff
        self._running: dict[str, tuple[Forward, Supervised]] = {}
        self._meter = meter or TrafficMeter()

    def _name(self, forward: Forward) -> str:
        return f"tunnel-{self.alias}-{forward.local_port}"

    def start(self, forwards: Sequence[Forward]) -> None:
        """Start every forward; PortInUse (before anything starts) if a local port is taken."""
        for forward in forwards:
            if self._name(forward) not in self._running:
                check_port_free(forward)
        for forward in forwards:
            name = self._name(forward)
            if name in self._running:
                continue
            probe = _ListenProbe(forward)
            spec = ProcessSpec(
                name=name,
                argv=tunnel_argv(self.ssh, self.alias, forward, self.ssh_config),
                ready=probe,
                ready_timeout=30.0,
                backoff=self.backoff,
                explain_failure=_explainer(forward),
            )
            probe.child = self.supervisor.start(spec)
            self._running[name] = (forward, probe.child)

    def wait_ready(self, timeout: float) -> bool:
        """True once every tunnel is up (within `timeout` seconds overall)."""
        deadline = time.monotonic() + timeout
        return all(
            child.wait_ready(max(0.0, deadline - time.monotonic()))
            for _, child in self._running.values()
        )

    def statuses(self) -> list[TunnelStatus]:
        """Each tunnel's state and reason."""
        return [_status(forward, child.status) for forward, child in self._running.values()]

    def status_of(self, status: ProcessStatus) -> TunnelStatus | None:
        """The tunnel a supervisor status belongs to (None for other children)."""
        entry = self._running.get(status.name)
        return _status(entry[0], status) if entry else None

    def traffic(self) -> TunnelTraffic:
        """What went through the forwards since the previous call (one caller: auto-stop)."""
        children = [
            (pid, forward.local_port)
            for forward, child in self._running.values()
            if (pid := child.pid) is not None
        ]
        return self._meter.look(children)

    def pids(self) -> list[int]:
        """The pids of the running ssh processes."""
        return [pid for _, child in self._running.values() if (pid := child.pid) is not None]

    def stop(self) -> None:
        """Stop every tunnel; no ssh is left behind."""
        for name in list(self._running):
            self.supervisor.stop(name)
        self._running.clear()


def _explainer(forward: Forward) -> Callable[[str], str]:
    """ssh's own words, or who took the local port while the tunnel was down."""

    def explain(reason: str) -> str:
        try:
            check_port_free(forward)
        except PortInUse as exc:
            return exc.message
        except OSError:
            pass
        return reason

    return explain


class _ListenProbe:
    """Ready when *our* ssh listens on the local port and it accepts (another program that
    took the port in the meantime must not make a dead tunnel look up)."""

    def __init__(self, forward: Forward) -> None:
        self.forward = forward
        self.child: Supervised | None = None  # set right after the supervisor starts it

    def __call__(self) -> bool:
        pid = self.child.pid if self.child is not None else None
        if pid is None:
            return False
        try:
            listening = any(
                conn.laddr and conn.laddr.port == self.forward.local_port
                for conn in psutil.Process(pid).net_connections(kind="tcp")
                if conn.status == psutil.CONN_LISTEN
            )
        except psutil.Error:
            return False
        return listening and port_accepts(self.forward.local_port, self.forward.bind_address)


def _status(forward: Forward, status: ProcessStatus) -> TunnelStatus:
    state = _STATES[status.state]
    return TunnelStatus(forward, state, None if state is TunnelState.UP else status.reason)
