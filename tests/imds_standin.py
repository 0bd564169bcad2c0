"""A stand-in for EC2's instance metadata service (IMDSv2) on 127.0.0.1, for the spot watcher.

Like the real one it hands out a session token for `PUT /latest/api/token` (the TTL header
required) and answers metadata GETs only with that token in `X-aws-ec2-metadata-token`
(401 otherwise); a notice that is not posted is a 404. The test posts and clears notices.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SPOT_ACTION = "/latest/meta-data/spot/instance-action"
REBALANCE = "/latest/meta-data/events/recommendations/rebalance"


class ImdsStandIn:
    """The stand-in's state: its token, the notices posted, and what it was asked."""

    def __init__(self) -> None:
        self.token = secrets.token_urlsafe(16)
        self.documents: dict[str, str] = {}
        self.requests: list[tuple[str, str, int]] = []  # method, path, status
        self.lock = threading.Lock()
        self.url = ""

    def interrupt(self, at: datetime, action: str = "stop") -> None:
        """Post a two-minute interruption notice for `at`."""
        text = json.dumps({"action": action, "time": _imds_time(at)})
        with self.lock:
            self.documents[SPOT_ACTION] = text

    def recommend_rebalance(self, at: datetime) -> None:
        """Post a rebalance recommendation announced at `at`."""
        with self.lock:
            self.documents[REBALANCE] = json.dumps({"noticeTime": _imds_time(at)})

    def clear(self) -> None:
        """No notice any more."""
        with self.lock:
            self.documents.clear()

    def statuses(self, path: str) -> list[int]:
        """The statuses answered for `path`, in order."""
        with self.lock:
            return [status for _m, p, status in self.requests if p == path]


def _imds_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _handler(state: ImdsStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:  # quiet
            pass

        def _answer(self, status: int, body: str = "") -> None:
            with state.lock:
                state.requests.append((self.command, self.path, status))
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self) -> None:
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
            if self.path != "/latest/api/token" or not ttl.isdigit():
                self._answer(400)
                return
            self._answer(200, state.token)

        def do_GET(self) -> None:
            if self.headers.get("X-aws-ec2-metadata-token") != state.token:
                self._answer(401)
                return
            with state.lock:
                body = state.documents.get(self.path)
            self._answer(404) if body is None else self._answer(200, body)

    return Handler


@pytest.fixture
def imds() -> Iterator[ImdsStandIn]:
    """A running stand-in IMDSv2 on a free loopback port."""
    with serve_imds() as state:
        yield state


@contextmanager
def serve_imds() -> Iterator[ImdsStandIn]:
    """Run a stand-in IMDSv2 on a free loopback port (tests and benchmarks)."""
    state = ImdsStandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
