"""`devtray connect-proxy ALIAS HOST PORT [-- SSM COMMAND…]`: start on connect.

ssh runs it as the ProxyCommand of devtray's hosts (not listed in `--help`: people type
`ssh ALIAS`). It finds the VM behind the alias, starts it when it is stopped — unless the user
stopped it on purpose a few minutes ago — tells the tray, waits for SSH and then carries the
connection (or hands over to the SSM proxy command that follows `--`).

It runs only when the fast path of `desktop/__main__.py` found no SSH server answering at
HOST:PORT (a running VM costs ssh a few tens of milliseconds, no cloud call). SSM entries have
no address to try, and they keep the cloud lookup first: a "was running at T" cache goes stale
without devtray knowing (the cloud's schedules stop VMs), and running the SSM command on the off
chance cannot be retried once it has read ssh's first bytes. The AWS CLI that SSM runs costs as
much again, so the lookup is not what makes an SSM connection slow.

Its stdout belongs to ssh: everything meant for a person goes to stderr, to the terminal when
ssh hid stderr (ControlPersist sends a ProxyCommand's stderr to /dev/null), and to the tray.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import NoReturn, TextIO

from desktop.cli.context import CommandContext
from desktop.cli.output import duration, printable, render_error
from desktop.core import errors
from desktop.core.localtime import local_zone
from desktop.core.model import VmSnapshot, VmState
from desktop.core.polling import wait_for_state
from desktop.core.provider import CancelToken, Provider
from desktop.core.stop_intent import StopIntent, StopIntentStore, holding_intent
from desktop.remote.connecting_app import connecting_app
from desktop.remote.relay import relay, wait_for_ssh
from desktop.remote.ssh_config import checked_host, unique_aliases
from desktop.remote.tray_socket import tell_tray

log = logging.getLogger(__name__)

COMMAND = "connect-proxy"
START_TIMEOUT = 600.0  # a cloud start: EC2 ~30-60 s, an Azure lab VM several minutes
SSH_TIMEOUT = 180.0  # from "running" to sshd answering (boot, cloud-init)


class StartRefused(errors.InvalidState):
    """The VM was stopped on purpose a short while ago; connecting does not start it."""

    title = "Not started"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the hidden `connect-proxy` command (no help: it is for ssh, not for people)."""
    proxy = commands.add_parser(
        COMMAND,
        description="Carry one ssh connection to a VM, starting it first when it is stopped "
        "(the ProxyCommand of devtray's SSH block runs this; you do not).",
    )
    proxy.add_argument("alias", help="the SSH alias from devtray's block")
    proxy.add_argument("host", help="the address ssh would dial (%%h)")
    proxy.add_argument("port", type=int, help="the port ssh would dial (%%p)")
    proxy.add_argument(
        "then", nargs=argparse.REMAINDER, help="-- a proxy command to run instead (SSM)"
    )
    proxy.set_defaults(handler=connect_proxy_command)


def connect_proxy_command(ctx: CommandContext) -> int:
    """Bring the VM behind the alias up, then relay ssh's connection (never returns on SSM)."""
    try:
        provider, vm = _vm_behind(ctx, ctx.args.alias)
        vm = _running(ctx, provider, vm)
        then = ctx.args.then[1:] if ctx.args.then[:1] == ["--"] else ctx.args.then
        if then:
            _hand_over(then)
        settings = ctx.services.config.ssh_for(vm.name, vm.id)
        address = settings.host or vm.addresses.best() or ctx.args.host
        host = checked_host(address, f"The address of {ctx.args.alias}")
        sock, first = wait_for_ssh(host, ctx.args.port, SSH_TIMEOUT, what=printable(vm.name))
    except errors.DevtrayError as exc:
        error = exc  # main renders it on stderr; echo it where ssh may have hidden that
        _to_person(lambda stream: render_error(error, stream), ctx.err, echo_only=True)
        raise
    relay(sock, first, sys.stdin.buffer, sys.stdout.buffer)
    return 0


def _vm_behind(ctx: CommandContext, alias: str) -> tuple[Provider, VmSnapshot]:
    pairs = ctx.all_vms()
    aliases = unique_aliases([vm for _, vm in pairs])
    for provider, vm in pairs:
        if aliases[vm.id] == alias:
            return provider, vm
    raise errors.NotFound(
        f"No VM of yours is behind {alias} any more.",
        hint="`devtray status` lists your VMs; `devtray ssh-config` rewrites the aliases.",
    )


def _running(ctx: CommandContext, provider: Provider, vm: VmSnapshot) -> VmSnapshot:
    """The VM once running: started (if intent allows) or waited for, both bounded."""
    config = ctx.services.config
    interval = config.polling.fast_seconds
    if vm.state is VmState.RUNNING:
        return vm
    if vm.state in (VmState.STOPPED, VmState.STOPPING):
        _check_intent(vm, timedelta(minutes=config.connect.start_on_connect_grace))
        if not config.connect.start_on_connect:
            raise errors.InvalidState(
                f"{printable(vm.name)} is {vm.state}; start on connect is off.",
                hint=_start_it(vm),
            )
    if vm.state is VmState.STOPPING:
        vm = _wait(provider, vm, VmState.STOPPED, interval)
    if vm.state is VmState.STOPPED:
        _announce(ctx, vm)
        vm = provider.start_vm(vm.id)
    if vm.state is not VmState.RUNNING:
        vm = _wait(provider, vm, VmState.RUNNING, interval)
    return vm


def _check_intent(vm: VmSnapshot, grace: timedelta) -> None:
    now = datetime.now(UTC)
    intent = holding_intent(
        StopIntentStore().load(vm.id), now=now, grace=grace, launched_at=vm.launched_at
    )
    if intent is None:
        return
    refusal = StartRefused(refusal_message(vm.name, intent, now), hint=_start_it(vm))
    tell_tray({"cmd": "connect.refused", "vm": vm.name, "text": str(refusal)})
    raise refusal


def _start_it(vm: VmSnapshot) -> str:
    # The name comes from the cloud: shown without control characters, quoted for the shell.
    return f"Start it with: devtray start {shlex.quote(printable(vm.name))}"


def refusal_message(name: str, intent: StopIntent, now: datetime) -> str:
    """ "devbox was stopped on purpose 4 min ago (14:02, by `devtray stop`); …"."""
    ago = duration(max(0.0, (now - intent.at).total_seconds()))
    at = intent.at.astimezone(local_zone()).strftime("%H:%M")
    return (
        f"{printable(name)} was stopped on purpose {ago} ago ({at}, by {intent.by}); "
        "connecting does not start it."
    )


def _announce(ctx: CommandContext, vm: VmSnapshot) -> None:
    app = connecting_app()
    name = printable(vm.name)
    log.info("starting %s on connect (for %s)", vm.id, app or "ssh")
    told = tell_tray({"cmd": "connect.starting", "vm": vm.name, "app": app})
    if not told:
        _to_person(lambda stream: stream.write(f"Starting {name} for {app or 'ssh'}…\n"), ctx.err)


def _wait(provider: Provider, vm: VmSnapshot, target: VmState, interval: float) -> VmSnapshot:
    return wait_for_state(
        lambda: provider.refresh(vm.id),
        {target},
        cancel=CancelToken(),
        interval=interval,
        timeout=START_TIMEOUT,
    )


def _hand_over(command: list[str]) -> NoReturn:
    """Become the SSM proxy command (ssh's stdin/stdout go with it)."""
    sys.stdout.flush()
    if sys.platform == "win32":
        raise SystemExit(subprocess.run(command, check=False).returncode)
    try:
        os.execvp(command[0], command)  # noqa: S606 - argv from devtray's own ssh block
    except OSError as exc:
        raise errors.BadConfig(
            f"The SSM proxy command {command[0]!r} cannot run ({exc.strerror}).",
            hint="Install the AWS CLI, then run `devtray ssh-config` again.",
        ) from None


def _to_person(write: Callable[[TextIO], object], err: TextIO, *, echo_only: bool = False) -> None:
    """Write for a person on stderr; when ssh sent stderr to /dev/null, on the terminal too.

    `echo_only`: the caller's error handling already writes to stderr; only echo it.
    """
    if not echo_only:
        write(err)
        err.flush()
    if sys.platform == "win32" or not _stderr_is_null():
        return
    try:
        with open("/dev/tty", "w", encoding="utf-8") as tty:
            write(tty)
    except OSError:
        return  # no terminal (an IDE): the tray and the log are all there is


def _stderr_is_null() -> bool:
    try:
        ours, null = os.fstat(2), os.stat(os.devnull)
    except OSError:
        return False
    return (ours.st_dev, ours.st_ino) == (null.st_dev, null.st_ino)
