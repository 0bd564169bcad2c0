"""`devtray up [DIR]`: "Start my day" — the same pipeline as the tray's top menu item.

Check sign-in -> start the VM if it is stopped -> write the SSH config -> wait until SSH
answers -> start the project's tunnels -> initial sync -> `Ready: <alias> <remote_path>`, then
keep syncing in the foreground until Ctrl-C, which stops sync and tunnels (the VM stays up
unless --stop-on-exit). Every step prints a line with the elapsed time; a failing step says
which step and why, and everything already started is stopped again.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from desktop.cli.connect_commands import Connection, _sigterm_as_interrupt, connect
from desktop.cli.context import CommandContext
from desktop.cli.output import duration, printable
from desktop.core import errors
from desktop.core.forwards import parse_forwards
from desktop.core.model import VmSnapshot, VmState
from desktop.core.polling import wait_for_state
from desktop.core.project import PROJECT_FILE, Project, load_project
from desktop.core.provider import CancelToken, Provider
from desktop.core.stop_intent import StopSource, record_user_stop
from desktop.core.sync_state import SyncPhase
from desktop.remote.supervisor import Supervisor, default_log_dir
from desktop.remote.sync import control
from desktop.remote.sync.choose import create_engine
from desktop.remote.sync.engine import SyncEngine
from desktop.remote.sync.target import SshTarget
from desktop.remote.tunnels import Tunnels

SSH_WAIT = 180.0
SSH_PROBE_TIMEOUT = 10
TUNNEL_WAIT = 30.0
INITIAL_SYNC_WAIT = 1800.0
EXIT_FLUSH_WAIT = 60.0
WATCH_INTERVAL = 0.2


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `up`."""
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
    up.set_defaults(handler=up_command)


class _Steps:
    """One progress line per step, with the time since `up` began."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.ctx.err.write(f"[{elapsed:6.1f}s] {text}\n")
        self.ctx.err.flush()

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Run one step; a user-facing error names the step it happened in."""
        self.say(f"{name}...")
        try:
            yield
        except errors.DevtrayError as exc:
            failed = type(exc)(f"{name} failed: {exc.message}", hint=exc.hint)
            raise failed from None


def up_command(ctx: CommandContext) -> int:
    """Bring the project's VM, tunnels and sync up, then supervise until Ctrl-C."""
    project = load_project(Path(ctx.args.dir))
    steps = _Steps(ctx)
    engine: SyncEngine | None = None
    mine: tuple[Provider, VmSnapshot] | None = None
    ready = False
    with _sigterm_as_interrupt(), contextlib.ExitStack() as running:
        wakers: list[SyncEngine] = []

        def woke(seconds: float) -> None:
            for waker in wakers:
                waker.on_wake(seconds)

        supervisor = Supervisor(default_log_dir(), on_wake=woke)
        running.callback(supervisor.stop_all)
        try:
            provider, vm, connection = _bring_up_vm(ctx, steps, project)
            mine = (provider, vm)
            engine = _start_tunnels_and_sync(ctx, steps, project, connection, supervisor, running)
            wakers.append(engine)
            server = control.ControlServer(engine, project.root, os.getpid())
            server.start()
            running.callback(server.stop)
            ctx.out.write(f"Ready: {connection.alias} {project.remote_dir()}\n")
            ctx.out.flush()
            ready = True
            _supervise(steps, engine)
        except KeyboardInterrupt:
            pass
        if ctx.args.stop_on_exit and engine is not None and mine is not None:
            steps.say("flushing sync before stopping the VM...")
            status = engine.flush(EXIT_FLUSH_WAIT)
            if status.has_unsynced_changes:
                raise errors.InvalidState(
                    f"Not stopping {printable(mine[1].name)}: sync could not finish "
                    f"({status.summary()}).",
                    hint="Your VM keeps running; `devtray stop` stops it anyway.",
                )
        steps.say("stopping sync and tunnels...")
    if ctx.args.stop_on_exit and mine is not None:
        record_user_stop(mine[1].id, StopSource.CLI_UP_EXIT)
        mine[0].stop_vm(mine[1].id)
        steps.say(f"asked the cloud to stop {printable(mine[1].name)}.")
    steps.say("stopped." if ready else "interrupted before the project was ready.")
    return 0 if ready else int(errors.ExitCode.FAILED)


def _bring_up_vm(
    ctx: CommandContext, steps: _Steps, project: Project
) -> tuple[Provider, VmSnapshot, Connection]:
    with steps.step("checking sign-in"):
        for provider in ctx.providers():
            provider.identity()
    with steps.step("finding the VM"):
        provider, vm = ctx.pick_vm(project.vm)
    if vm.state is not VmState.RUNNING:
        with steps.step(f"starting {printable(vm.name)} (now {vm.state})"):
            if vm.state is VmState.STOPPED:
                vm = provider.start_vm(vm.id)
            vm = wait_for_state(
                lambda: provider.refresh(vm.id),
                {VmState.RUNNING},
                cancel=CancelToken(),
                interval=ctx.services.config.polling.fast_seconds,
            )
    with steps.step("writing the SSH config"):
        connection = connect(ctx, project.vm)
    with steps.step(f"waiting for SSH on {connection.alias}"):
        _wait_for_ssh(connection)
    return provider, vm, connection


def _wait_for_ssh(connection: Connection) -> None:
    deadline = time.monotonic() + SSH_WAIT
    reason = "no answer"
    while time.monotonic() < deadline:
        try:
            result = subprocess.run(
                [
                    str(connection.ssh),
                    "-F",
                    str(connection.change.path),
                    "-o",
                    "BatchMode=yes",
                    "-o",
                    f"ConnectTimeout={SSH_PROBE_TIMEOUT}",
                    # A probe must not leave a ControlPersist master behind.
                    "-o",
                    "ControlMaster=no",
                    "-o",
                    "ControlPath=none",
                    connection.alias,
                    "true",
                ],
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=SSH_PROBE_TIMEOUT + 5,
                check=False,
            )
        except subprocess.TimeoutExpired:
            reason = "ssh timed out"
            continue
        if result.returncode == 0:
            return
        lines = result.stderr.strip().splitlines()
        reason = lines[-1] if lines else f"ssh exited with {result.returncode}"
        time.sleep(2)
    raise errors.Offline(
        f"SSH did not answer within {duration(SSH_WAIT)}: {reason}",
        hint=f"Try `ssh {connection.alias}` to see why.",
    )


def _start_tunnels_and_sync(
    ctx: CommandContext,
    steps: _Steps,
    project: Project,
    connection: Connection,
    supervisor: Supervisor,
    running: contextlib.ExitStack,
) -> SyncEngine:
    config = ctx.services.config
    forwards = parse_forwards(
        [(spec, str(project.root / PROJECT_FILE)) for spec in project.ports]
        + [(spec, f"{config.path} [tunnels]") for spec in config.tunnels.ports]
    )
    if forwards:
        with steps.step(f"starting {len(forwards)} tunnel(s)"):
            tunnels = Tunnels(
                supervisor, connection.ssh, connection.alias, ssh_config=connection.change.path
            )
            running.callback(tunnels.stop)
            tunnels.start(forwards)
            if not tunnels.wait_ready(TUNNEL_WAIT):
                broken = [s.describe() for s in tunnels.statuses()]
                raise errors.Offline("; ".join(broken) or "tunnels did not come up")
    with steps.step(f"initial sync to {connection.alias}:{project.remote_dir()}"):
        if control.ask(project.root, "status") is not None:
            raise errors.InvalidState(
                f"{project.root} is already being synced by another devtray (the tray?).",
                hint="Stop that sync first, or use it: `devtray sync status`.",
            )
        target = SshTarget(
            host=connection.alias,
            remote_dir=project.remote_dir(),
            ssh_argv=(str(connection.ssh), "-F", str(connection.change.path)),
        )
        engine = create_engine(project, target, supervisor, adopt=ctx.args.adopt)
        running.callback(engine.stop)
        engine.start()
        status = engine.flush(INITIAL_SYNC_WAIT)
        if status.has_unsynced_changes:
            raise errors.Offline(f"the VM does not hold the project yet: {status.summary()}")
    steps.say(f"sync ({engine.name}): {status.summary()}")
    return engine


def _supervise(steps: _Steps, engine: SyncEngine) -> None:
    """Report sync's state changes until Ctrl-C (KeyboardInterrupt ends it)."""
    shown = engine.status().phase
    while True:
        time.sleep(WATCH_INTERVAL)
        status = engine.status()
        if status.phase is not shown and status.phase is not SyncPhase.SYNCING:
            steps.say(f"sync: {status.summary()}")
            shown = status.phase
