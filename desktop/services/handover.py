"""`devtray up` / `down` handing the day to the running tray, over its single-instance socket.

The tray's QLocalServer is a Unix socket (a named pipe on Windows); the CLI never imports Qt, so
it speaks to it with the standard library. The protocol is line-delimited JSON, UTF-8:

    CLI  -> tray   {"cmd": "day.up", "dir": "/abs/project", "open_ide": false}
                   {"cmd": "day.down", "dir": "/abs/project" | null}
    tray -> CLI    {"event": "step_started", "step": "ssh_ready", "index": 4, "total": 7,
                    "text": "waiting for SSH on devbox.devtray"}          (any number)
                   {"result": "ready", "alias": "devbox.devtray", "remote_path": "~/app",
                    "text": "Ready: devbox.devtray ~/app"}
                 | {"result": "ended", "text": "Today: 7 h 12 min, $1.37"}
                 | {"result": "failed", "message": "...", "hint": "..." | null}

The bare line `show-menu` (a second tray launch) is unchanged. The CLI may hang up at any time
(Ctrl-C detaches): the tray keeps the day.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop.services.day import DayEvent, DayService


class Command(enum.StrEnum):
    """What the CLI asks the tray."""

    UP = "day.up"
    DOWN = "day.down"


@dataclass(frozen=True)
class DayRequest:
    """One request line, parsed and checked (the socket is the user's own, still: untrusted)."""

    command: Command
    project_dir: Path | None
    open_ide: bool = False


class ResultKind(enum.StrEnum):
    """How a request ended."""

    READY = "ready"
    ENDED = "ended"
    FAILED = "failed"


@dataclass(frozen=True)
class DayAnswer:
    """The final line of an answer."""

    kind: ResultKind
    text: str
    hint: str | None = None


Send = Callable[[bytes], None]


def socket_path(name: str) -> Path:
    """Where a QLocalServer called `name` listens on Unix (Qt puts it in the temp folder)."""
    raise NotImplementedError


def encode_request(request: DayRequest) -> bytes:
    """The request line."""
    raise NotImplementedError


def decode_request(line: bytes) -> DayRequest | None:
    """The request in `line`; None when it is not a day request (e.g. `show-menu`).

    Raises BadConfig-like `DevtrayError` for a malformed day request."""
    raise NotImplementedError


def event_line(event: DayEvent) -> bytes:
    """The progress line for one day event."""
    raise NotImplementedError


def answer_line(answer: DayAnswer) -> bytes:
    """The final line."""
    raise NotImplementedError


def ask_tray(
    name: str, request: DayRequest, on_event: Callable[[dict[str, object]], None]
) -> DayAnswer | None:
    """Send `request` to the tray listening as `name` and relay its progress lines to
    `on_event` until the final answer. None when no tray listens (the CLI runs the day itself).
    KeyboardInterrupt (Ctrl-C, SIGTERM) hangs up; the tray keeps the day."""
    raise NotImplementedError


def serve(request: DayRequest, day: DayService, send: Send) -> None:
    """The tray's side, on a worker thread: run the request on the tray's day service and send
    its progress and answer through `send` (which must not raise once the CLI hung up)."""
    raise NotImplementedError
