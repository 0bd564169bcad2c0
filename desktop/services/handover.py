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

import contextlib
import enum
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.core.errors import BadConfig, DevtrayError
from desktop.remote.tray_socket import server_name as server_name  # the CLI and the tray
from desktop.remote.tray_socket import socket_path

# The tray imports this module before its icon is up: json, socket and tempfile (~10 ms) load
# in the functions that use them, after start-up; so does the day service.
if TYPE_CHECKING:
    from desktop.services.day import DayEvent, DayService


DAY_PREFIX = "day."  # the day's requests; other JSON lines are notes (remote.tray_socket)


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
    adopt: bool = False  # `devtray up --adopt`: the sync may take over a folder it did not make


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

MAX_LINE = 64 * 1024  # a request is a few hundred bytes; anything longer is not ours
CONNECT_TIMEOUT = 2.0
# How long the CLI waits for the tray's next line: the slowest step (an initial sync of a
# big tree) reports its progress well within it.
LINE_TIMEOUT = 1900.0


def encode_request(request: DayRequest) -> bytes:
    """The request line."""
    data: dict[str, Any] = {
        "cmd": str(request.command),
        "dir": str(request.project_dir) if request.project_dir else None,
    }
    if request.command is Command.UP:
        data["open_ide"] = request.open_ide
        data["adopt"] = request.adopt
    return _line(data)


def decode_request(line: bytes) -> DayRequest | None:
    """The request in `line`; None when it is not a day request (e.g. `show-menu`).

    Raises `BadConfig` for a malformed day request."""
    import json

    if not line.lstrip().startswith(b"{"):
        return None
    try:
        data = json.loads(line)
        command = Command(data["cmd"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadConfig(f"not a devtray request: {line[:80]!r}") from exc
    folder = data.get("dir")
    if folder is not None and not (isinstance(folder, str) and os.path.isabs(folder)):
        raise BadConfig("the project folder must be an absolute path")
    if command is Command.UP and folder is None:
        raise BadConfig("day.up needs the project folder")
    flags = {key: data.get(key, False) for key in ("open_ide", "adopt")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise BadConfig(f"{key} must be true or false")
    return DayRequest(command, Path(folder) if folder else None, **flags)


def event_line(event: DayEvent) -> bytes:
    """The progress line for one day event."""
    progress = event.progress
    return _line(
        {
            "event": str(event.kind),
            "step": str(event.step) if event.step else None,
            "index": progress.index,
            "total": progress.total,
            "elapsed": round(progress.elapsed, 1),
            "text": event.text,
        }
    )


def answer_line(answer: DayAnswer) -> bytes:
    """The final line."""
    return _line({"result": str(answer.kind), "text": answer.text, "hint": answer.hint})


def _line(data: dict[str, Any]) -> bytes:
    import json

    return json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n"


def ask_tray(
    name: str, request: DayRequest, on_event: Callable[[dict[str, Any]], None]
) -> DayAnswer | None:
    """Send `request` to the tray listening as `name` and relay its progress lines to
    `on_event` until the final answer. None when no tray listens (the CLI runs the day itself).
    KeyboardInterrupt (Ctrl-C, SIGTERM) hangs up; the tray keeps the day."""
    import json
    import socket

    path = socket_path(name)
    if os.name != "posix" or not path.exists():
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(CONNECT_TIMEOUT)
        try:
            conn.connect(str(path))
        except OSError:
            return None  # a socket file left by a tray that crashed
        conn.sendall(encode_request(request))
        conn.settimeout(LINE_TIMEOUT)
        with conn.makefile("rb") as lines:
            for raw in lines:
                data = json.loads(raw)
                if not isinstance(data, dict):
                    continue
                if "result" in data:
                    hint = data.get("hint")
                    return DayAnswer(
                        ResultKind(data["result"]),
                        str(data.get("text", "")),
                        hint if isinstance(hint, str) else None,
                    )
                on_event(data)
    except (OSError, ValueError) as exc:
        return DayAnswer(ResultKind.FAILED, f"the tray stopped answering ({exc})")
    finally:
        conn.close()
    return DayAnswer(ResultKind.FAILED, "the tray hung up before the day was ready")


def serve(request: DayRequest, day: DayService, send: Send) -> None:
    """The tray's side, on a worker thread: run the request on the tray's day service and send
    its progress and answer through `send` (which must not raise once the CLI hung up)."""
    from desktop.core.project import load_project

    def relay(event: DayEvent) -> None:
        send(event_line(event))

    try:
        if request.command is Command.UP:
            if request.project_dir is None:  # decode_request refuses it; said again for mypy
                raise BadConfig("day.up needs the project folder")
            project = load_project(request.project_dir)
            ready = day.bring_up(
                project, listener=relay, open_ide=request.open_ide, adopt=request.adopt
            )
            answer = DayAnswer(ResultKind.READY, ready.describe())
        else:
            ended = day.wind_down(request.project_dir, listener=relay)
            answer = DayAnswer(ResultKind.ENDED, ended.describe())
    except DevtrayError as exc:
        answer = DayAnswer(ResultKind.FAILED, exc.message, exc.hint)
    with contextlib.suppress(OSError):
        send(answer_line(answer))
