"""Port forwards inside this process: 127.0.0.1:LOCAL -> 127.0.0.1:PORT, for the simulated demo VM.

The simulated VM is this computer without an SSH server, so its "tunnels" are small TCP
forwarders: a listener per forward, two pump threads per connection. They report the same
statuses and traffic as `tunnels.Tunnels` (the Tunnels row cannot tell them apart except by
its "simulated" tag). Only loopback is ever dialled, connections are capped, and `stop`
closes every socket and joins every thread before it returns.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from desktop.core.errors import BadConfig
from desktop.core.forwards import Forward
from desktop.remote.tunnels import TunnelState, TunnelStatus, TunnelTraffic, check_port_free

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 64  # at once, per forwarder; more are closed at once
CONNECT_TIMEOUT = 5.0
ACCEPT_POLL = 0.2  # how often a listener looks whether it was stopped
JOIN_WAIT = 5.0
CHUNK = 65536
# The names the simulated VM answers to: itself.
LOOPBACK = {"localhost": "127.0.0.1", "127.0.0.1": "127.0.0.1", "::1": "::1"}


@dataclass
class _Counters:
    """What every forwarder of one VM shares, under `lock`."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    moved: int = 0  # payload bytes, both ways
    accepted: int = 0
    open: int = 0
    seen_moved: int = 0  # at the previous look
    seen_accepted: int = 0
    carriers: set[threading.Thread] = field(default_factory=set)
    sockets: set[socket.socket] = field(default_factory=set)


class _Forwarder:
    """One forward: a listener thread that hands each connection to two pumps."""

    def __init__(self, forward: Forward, target: tuple[str, int], counters: _Counters) -> None:
        self.forward = forward
        self.target = target
        self.counters = counters
        self.lock = counters.lock
        self.stopping = threading.Event()
        self.state = TunnelState.CONNECTING
        self.reason: str | None = None
        self.listener: socket.socket | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if sys.platform != "win32":  # as ssh binds (see tunnels.check_port_free)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.forward.bind_address, self.forward.local_port))
            listener.listen(16)
        except OSError as exc:
            listener.close()
            self.state, self.reason = TunnelState.FAILED, exc.strerror or str(exc)
            return
        listener.settimeout(ACCEPT_POLL)
        self.listener, self.state = listener, TunnelState.UP
        self.thread = threading.Thread(
            target=self._accept, name=f"forward-{self.forward.local_port}", daemon=True
        )
        self.thread.start()

    def status(self) -> TunnelStatus:
        return TunnelStatus(self.forward, self.state, self.reason)

    def _accept(self) -> None:
        assert self.listener is not None
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by stop
            carrier = threading.Thread(target=self._carry, args=(client,), daemon=True)
            with self.lock:
                full = self.counters.open >= MAX_CONNECTIONS
                if not full:
                    self.counters.open += 1
                    self.counters.accepted += 1
                    self.counters.carriers.add(carrier)
            if full:
                log.warning(
                    "forward %d: %d connections open", self.forward.local_port, MAX_CONNECTIONS
                )
                client.close()
                continue
            carrier.start()

    def _carry(self, client: socket.socket) -> None:
        """One connection: dial the VM's port, pump both ways until both sides are done."""
        upstream: socket.socket | None = None
        try:
            upstream = socket.create_connection(self.target, timeout=CONNECT_TIMEOUT)
            upstream.settimeout(None)
            client.settimeout(None)
            with self.lock:
                if self.stopping.is_set():
                    return
                self.counters.sockets |= {client, upstream}
            back = threading.Thread(target=self._pump, args=(upstream, client), daemon=True)
            back.start()
            self._pump(client, upstream)
            back.join()
        except OSError as exc:
            log.info("forward %d: %s", self.forward.local_port, exc)  # like ssh's channel error
        finally:
            with self.lock:
                self.counters.open -= 1
                self.counters.sockets.difference_update((client, upstream))
                self.counters.carriers.discard(threading.current_thread())
            for sock in (client, upstream):
                if sock is not None:
                    sock.close()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(CHUNK):
                sink.sendall(chunk)
                with self.lock:
                    self.counters.moved += len(chunk)
        except OSError:
            pass  # the other side went away, or stop closed the sockets
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def stop(self) -> None:
        """Stop listening; the listener's thread has ended when this returns."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(JOIN_WAIT)
        if self.listener is not None:
            self.listener.close()
        self.state, self.reason = TunnelState.STOPPED, None


class LocalForwards:
    """The simulated VM's tunnels: the `vm_link.TunnelSet` of `standin_link.StandInLink`."""

    def __init__(self) -> None:
        self._counters = _Counters()
        self._forwarders: dict[int, _Forwarder] = {}

    def start(self, forwards: Sequence[Forward]) -> None:
        """Start every forward; PortInUse (before anything starts) if a local port is taken,
        BadConfig when one reaches past this computer (the simulated VM has no network)."""
        targets = {}
        for forward in forwards:
            host = LOOPBACK.get(forward.remote_host)
            if host is None:
                raise BadConfig(
                    f"The simulated demo VM cannot reach {forward.remote_host}: it is this "
                    "computer, without a network of its own.",
                    hint="Forward a port of the demo VM itself, e.g. "
                    f'ports = ["{forward.local_port}:{forward.remote_port}"].',
                )
            targets[forward.local_port] = (host, forward.remote_port)
            if forward.local_port not in self._forwarders:
                check_port_free(forward)
        for forward in forwards:
            if forward.local_port in self._forwarders:
                continue
            forwarder = _Forwarder(forward, targets[forward.local_port], self._counters)
            forwarder.start()
            self._forwarders[forward.local_port] = forwarder

    def wait_ready(self, timeout: float) -> bool:
        """True when every forward listens (they bind in `start`: no waiting)."""
        return all(f.state is TunnelState.UP for f in self._forwarders.values())

    def statuses(self) -> list[TunnelStatus]:
        """Each forward's state (failed with the bind error when it could not listen)."""
        return [forwarder.status() for forwarder in self._forwarders.values()]

    def traffic(self) -> TunnelTraffic:
        """Bytes and connections through the forwards since the previous call."""
        counters = self._counters
        with counters.lock:
            moved, accepted = counters.moved, counters.accepted
            traffic = TunnelTraffic(
                bytes=moved - counters.seen_moved,
                new_connections=accepted - counters.seen_accepted,
            )
            counters.seen_moved, counters.seen_accepted = moved, accepted
        return traffic

    def stop(self) -> None:
        """Close every listener and connection; returns when their threads ended."""
        for forwarder in self._forwarders.values():
            forwarder.stop()  # no new connections from here on
        self._forwarders.clear()
        counters = self._counters
        with counters.lock:
            live, carriers = list(counters.sockets), list(counters.carriers)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for carrier in carriers:
            carrier.join(JOIN_WAIT)
