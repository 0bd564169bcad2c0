"""`devtray up [DIR]` and `devtray down [DIR]`: "Start my day" and "End my day" from a terminal.

One owner of the day: while the tray runs, `up` asks it to start the day (through its
single-instance socket) and prints the steps as the tray runs them; Ctrl-C detaches and the
tray keeps the day. Without a tray, `up` runs the day itself — check sign-in -> start the VM
-> SSH config -> wait for SSH -> tunnels -> initial sync -> `Ready: <alias> <remote_path>` —
and keeps syncing in the foreground until Ctrl-C, which stops sync and tunnels (the VM stays
up unless --stop-on-exit). A failing step says which and why; what was started is undone.
`down` flushes sync, ends sync and tunnels and stops the VM (the tray's day, if one runs).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from desktop.cli.connect_commands import _sigterm_as_interrupt
from desktop.cli.context import CommandContext
from desktop.core import errors
from desktop.core.model import VmSnapshot
from desktop.core.project import load_project
from desktop.core.stop_intent import StopSource
from desktop.core.sync_state import SyncPhase
from desktop.remote.sync import control
from desktop.services import handover
from desktop.services.day import DayEvent, DayEventKind, DayReady
from desktop.services.handover import Command, DayAnswer, DayRequest, ResultKind

WATCH_INTERVAL = 1.0  # a status question to the sync's control socket per second
# Events whose words the final answer prints (on stdout), so the progress does not repeat them.
_FINAL = frozenset({DayEventKind.READY, DayEventKind.FAILED, DayEventKind.ENDED})


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `up` and `down`."""
    up = commands.add_parser(
        "up", help="start my day: VM, SSH config, tunnels, sync; keep syncing until Ctrl-C"
    )
    up.add_argument("dir", nargs="?", default=".", help="project folder (default: .)")
    up.add_argument("--stop-on-exit", action="store_true", help="stop the VM when you press Ctrl-C")
    up.add_argument(
        "--adopt",
        action="store_true",
        help="sync into a VM folder holding files devtray did not put there: they move to "
        "its .devtray/trash/adopted-<time>/ first",
    )
    up.add_argument("--open", action="store_true", help="open the project in its IDE when ready")
    up.set_defaults(handler=up_command)
    down = commands.add_parser(
        "down", help="end my day: flush sync, stop sync and tunnels, stop the VM"
    )
    down.add_argument("dir", nargs="?", help="project folder (default: the running day's)")
    down.set_defaults(handler=down_command)


class _Progress:
    """One line per step on stderr, with the time since the command began."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.ctx.err.write(f"[{elapsed:6.1f}s] {text}\n")
        self.ctx.err.flush()

    def event(self, event: DayEvent) -> None:
        """A day event of this process's own day."""
        if event.text and event.kind not in _FINAL:
            self.say(event.text)

    def relayed(self, data: Mapping[str, object]) -> None:
        """A progress line from the tray's day."""
        text = data.get("text")
        if isinstance(text, str) and text and data.get("event") not in _FINAL:
            self.say(text)


def _answered(ctx: CommandContext, answer: DayAnswer) -> None:
    if answer.kind is ResultKind.FAILED:
        raise errors.DevtrayError(answer.text, hint=answer.hint)
    ctx.out.write(answer.text + "\n")
    ctx.out.flush()


def up_command(ctx: CommandContext) -> int:
    """Start the day (the tray's, when one runs), then follow it until Ctrl-C."""
    project = load_project(Path(ctx.args.dir))
    progress = _Progress(ctx)
    request = DayRequest(Command.UP, project.root, open_ide=ctx.args.open, adopt=ctx.args.adopt)
    with _sigterm_as_interrupt():
        try:
            answer = handover.ask_tray(handover.server_name(), request, progress.relayed)
            if answer is not None:
                _answered(ctx, answer)
                _follow(progress, project.root)
        except KeyboardInterrupt:
            if not ctx.args.stop_on_exit:
                progress.say("detached; the tray keeps the day.")
                return 0
            down = DayRequest(Command.DOWN, project.root)
            answer = handover.ask_tray(handover.server_name(), down, progress.relayed)
            if answer is not None:
                _answered(ctx, answer)
                return 0
        if answer is not None:
            return 0
        return _own_day(ctx, progress, project.root)


def _own_day(ctx: CommandContext, progress: _Progress, root: Path) -> int:
    """No tray: this process runs the day, and ends its sync and tunnels at Ctrl-C."""
    day = ctx.services.day
    project = load_project(root)
    try:
        ready = day.bring_up(
            project, listener=progress.event, open_ide=ctx.args.open, adopt=ctx.args.adopt
        )
    except KeyboardInterrupt:
        progress.say("interrupted before the project was ready.")
        return int(errors.ExitCode.FAILED)
    ctx.out.write(ready.describe() + "\n")
    ctx.out.flush()
    ask_cloud = _cloud_check(ctx, ready)
    with contextlib.suppress(KeyboardInterrupt):
        gone = _follow(progress, project.root, ask_cloud)
        if gone is not None:
            raise errors.InvalidState(
                f"{gone.name} stopped outside this `devtray up` (it is {gone.state} now); "
                "sync and tunnels ended.",
                hint=f"Start the day again: devtray up {project.root}",
            )
    if ctx.args.stop_on_exit:
        progress.say("flushing sync before stopping the VM...")
        ended = day.wind_down(
            project.root, listener=progress.event, stopped_by=StopSource.CLI_UP_EXIT
        )
        progress.say(ended.describe())
    else:
        progress.say("stopping sync and tunnels...")
        day.close(forget=True)
    progress.say("stopped.")
    return 0


def _cloud_check(ctx: CommandContext, ready: DayReady) -> Callable[[], VmSnapshot | None]:
    """This process's own day has no tray watching its VM: ask the cloud every
    `polling.slow_seconds` (as the tray does) whether it stopped elsewhere."""
    day = ctx.services.day
    every = day.config.current().polling.slow_seconds
    due = time.monotonic() + every

    def ask() -> VmSnapshot | None:
        nonlocal due
        if time.monotonic() < due:
            return None
        due = time.monotonic() + every
        return day.ended_elsewhere(ready)

    return ask


def _follow(
    progress: _Progress,
    root: Path,
    stopped_elsewhere: Callable[[], VmSnapshot | None] | None = None,
) -> VmSnapshot | None:
    """Report sync's state changes until Ctrl-C (KeyboardInterrupt ends it); returns the VM's
    snapshot when `stopped_elsewhere` finds it stopped (the day then ended)."""
    shown: SyncPhase | None = None
    while True:
        gone = stopped_elsewhere() if stopped_elsewhere is not None else None
        if gone is not None:
            return gone
        status = control.ask(root, "status")
        if status is None:
            return None  # the day's sync ended (End my day, `devtray stop`)
        if status.phase is not shown and status.phase is not SyncPhase.SYNCING:
            if shown is not None:
                progress.say(f"sync: {status.summary()}")
            shown = status.phase
        time.sleep(WATCH_INTERVAL)


def down_command(ctx: CommandContext) -> int:
    """End my day: the tray's, when one runs, else this process does it."""
    root = load_project(Path(ctx.args.dir)).root if ctx.args.dir else None
    progress = _Progress(ctx)
    with _sigterm_as_interrupt():
        answer = handover.ask_tray(
            handover.server_name(), DayRequest(Command.DOWN, root), progress.relayed
        )
    if answer is not None:
        _answered(ctx, answer)
        return 0
    ended = ctx.services.day.wind_down(
        root, listener=progress.event, stopped_by=StopSource.CLI_DOWN
    )
    ctx.out.write(ended.describe() + "\n")
    return 0
