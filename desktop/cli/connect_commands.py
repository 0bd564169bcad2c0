"""`ssh-config`, `tunnels`, `open`: reach the VM with ssh, forwards and the IDE."""

from __future__ import annotations

import argparse
import signal
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

from desktop.cli.context import CommandContext
from desktop.cli.output import printable
from desktop.core import errors
from desktop.core.forwards import wanted_forwards
from desktop.core.model import VmSnapshot
from desktop.core.project import IDES, PROJECT_FILE, load_project
from desktop.core.provider import ConsoleOutputSource, Provider
from desktop.core.selection import choose_vm
from desktop.remote import ide
from desktop.remote.docker_context import ContextChange, ensure_contexts
from desktop.remote.known_hosts import KeyStatus, check_host_key, trust_new_key
from desktop.remote.ssh_config import (
    ConfigChange,
    SshConfigNotWritable,
    SshConfigWriter,
    default_paths,
    previous_hostnames,
    ssm_from_tools,
    unique_aliases,
)
from desktop.remote.supervisor import Supervisor, default_log_dir
from desktop.remote.tunnels import Tunnels, TunnelState
from desktop.system.tools import required_tool


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the connect commands."""
    ssh_config = commands.add_parser(
        "ssh-config", help="write the devtray block of ~/.ssh/config (one Host per VM)"
    )
    ssh_config.add_argument(
        "--dry-run", action="store_true", help="print the change as a diff; write nothing"
    )
    ssh_config.set_defaults(handler=ssh_config_command)

    tunnels = commands.add_parser(
        "tunnels", help="forward the project's ports to the VM until Ctrl-C"
    )
    tunnels.add_argument("dir", nargs="?", default=".", help="project folder (default: here)")
    tunnels.set_defaults(handler=tunnels_command)

    open_ = commands.add_parser("open", help="open the project in VS Code, PyCharm or Gateway")
    open_.add_argument("ide", choices=IDES, help="which IDE")
    open_.add_argument("dir", nargs="?", default=".", help="project folder (default: here)")
    open_.set_defaults(handler=open_command)

    host_key = commands.add_parser(
        "host-key", help="check a VM's SSH host key; --trust replaces a changed one"
    )
    host_key.add_argument("vm", nargs="?", help="VM name or id (optional with one VM)")
    host_key.add_argument(
        "--trust", action="store_true", help="pin the key the VM offers now (after a rebuild)"
    )
    host_key.set_defaults(handler=host_key_command)


def ssh_config_command(ctx: CommandContext) -> int:
    """Write (or with --dry-run, show) the managed block; print each alias."""
    vms = [vm for _, vm in ctx.all_vms()]
    config = ctx.services.config
    writer = SshConfigWriter(ssm=ssm_from_tools(ctx.services.config))
    if ctx.args.dry_run:
        change = writer.plan(vms, config)
        ctx.out.write(change.diff() or f"{change.path} is up to date.\n")
        return 0
    change = writer.refresh(vms, config)
    verb = "Updated" if change.changed else "Up to date:"
    ctx.err.write(f"{verb} {change.path}\n")
    with_entry = {entry.vm_id: entry for entry in change.entries}
    for vm in vms:
        entry = with_entry.get(vm.id)
        if entry is None:
            ctx.out.write(f"{printable(vm.name)}: no address yet (start it, then run again)\n")
        else:
            ctx.out.write(f"{entry.alias}  ->  {entry.hostname}  (ssh {entry.alias})\n")
    for warning in change.warnings:
        ctx.err.write(f"warning: {warning}\n")
    _docker_contexts(ctx, change, unique_aliases(vms).values())
    return 0


def _docker_contexts(ctx: CommandContext, change: ConfigChange, aliases: Iterable[str]) -> None:
    wanted = (entry.alias for entry in change.entries)
    for alias, result, detail in ensure_contexts(wanted, all_aliases=aliases):
        if result is ContextChange.FAILED:
            ctx.err.write(f"warning: docker context {alias}: {detail}\n")
        elif result is not ContextChange.UNCHANGED:
            ctx.err.write(f"docker context {alias} {result}: {detail}\n")


@dataclass(frozen=True)
class Connection:
    """The VM a project works on, its alias in the freshly written SSH config, and ssh."""

    vm: VmSnapshot
    alias: str
    change: ConfigChange
    ssh: Path
    provider: Provider


def connect(ctx: CommandContext, vm_name: str | None) -> Connection:
    """Pick the VM, bring the SSH config block up to date, and find ssh."""
    pairs = ctx.all_vms()
    vms = [vm for _, vm in pairs]
    vm = choose_vm(vms, vm_name)
    provider = next(p for p, candidate in pairs if candidate is vm)
    writer = SshConfigWriter(ssm=ssm_from_tools(ctx.services.config))
    alias = unique_aliases(vms)[vm.id]
    try:
        change = writer.refresh(vms, ctx.services.config)
    except SshConfigNotWritable as exc:
        change = _existing_block(ctx, writer.plan(vms, ctx.services.config), alias, exc)
    for warning in change.warnings:
        ctx.err.write(f"warning: {warning}\n")
    if alias not in {entry.alias for entry in change.entries}:
        raise errors.InvalidState(
            f"{printable(vm.name)} has no address yet.",
            hint="Start it first: devtray start --wait",
        )
    return Connection(vm, alias, change, required_tool("ssh"), provider)


def _existing_block(
    ctx: CommandContext,
    planned: ConfigChange,
    alias: str,
    problem: SshConfigNotWritable,
) -> ConfigChange:
    """The block as it is when it cannot be rewritten: usable if it already has the
    alias (the command goes on, saying why the block was not refreshed), else the problem."""
    if alias not in previous_hostnames(planned.before, planned.path):
        raise problem
    ctx.err.write(f"warning: {problem.message} Going on with the block already there.\n")
    return replace(planned, after=planned.before)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def tunnels_command(ctx: CommandContext) -> int:
    """Run the project's (and the config's) forwards until Ctrl-C; one line per tunnel up."""
    project = load_project(Path(ctx.args.dir))
    forwards = wanted_forwards(project, ctx.services.config)
    if not forwards:
        raise errors.UsageError(
            f"No ports to forward for {project.root}.",
            hint=f'Add ports = ["8000"] to {project.root / PROJECT_FILE} '
            "(or [tunnels] ports in devtray's config).",
        )
    connection = connect(ctx, project.vm)
    supervisor = Supervisor(default_log_dir())
    tunnels = Tunnels(
        supervisor, connection.ssh, connection.alias, ssh_config=connection.change.path
    )
    shown: dict[int, TunnelState] = {}
    ready = False
    with _sigterm_as_interrupt():
        try:
            tunnels.start(forwards)
            while True:
                for status in tunnels.statuses():
                    port = status.forward.local_port
                    if shown.get(port) is status.state:
                        continue
                    shown[port] = status.state
                    if status.state is TunnelState.UP:
                        ctx.out.write(status.describe() + "\n")
                    elif status.state in (TunnelState.RETRYING, TunnelState.FAILED):
                        ctx.err.write(status.describe() + "\n")
                up = [state for state in shown.values() if state is TunnelState.UP]
                if not ready and len(up) == len(forwards):
                    ready = True
                    ctx.out.write("Ready\n")
                ctx.out.flush()
                ctx.err.flush()
                time.sleep(0.1)
        except KeyboardInterrupt:
            pass
        finally:
            supervisor.stop_all()
    ctx.err.write("Tunnels stopped.\n")
    return 0


def open_command(ctx: CommandContext) -> int:
    """Open the project in the IDE, connected to the VM."""
    project = load_project(Path(ctx.args.dir))
    kind = ide.IdeKind(ctx.args.ide)
    if kind is ide.IdeKind.PYCHARM:
        plan = ide.plan_open(kind, project, None, Path("ssh"))
    else:
        connection = connect(ctx, project.vm)
        entry = connection.change.entry_for(connection.vm.id)
        plan = ide.plan_open(kind, project, entry, connection.ssh, connection.change.path)
    ide.launch(plan)
    ctx.out.write(f"Opened {printable(plan.description)}\n")
    return 0


def host_key_command(ctx: CommandContext) -> int:
    """Show the VM's host key against the pin (and the console); --trust re-pins a new key."""
    connection = connect(ctx, ctx.args.vm)
    console = None
    if isinstance(connection.provider, ConsoleOutputSource):
        console = connection.provider.console_output(connection.vm.id)
    known_hosts = default_paths().known_hosts
    check = check_host_key(
        connection.ssh,
        connection.alias,
        known_hosts,
        ssh_config=connection.change.path,
        console_output=console,
    )
    ctx.out.write(check.explain() + "\n")
    if check.status is KeyStatus.MATCHES:
        return 0
    if not ctx.args.trust:
        if check.status is KeyStatus.CHANGED:
            ctx.out.write(f"To trust the new key: devtray host-key {connection.vm.id} --trust\n")
            return 1
        return 0
    trust_new_key(known_hosts, check)
    ctx.out.write(f"{connection.alias}: now trusting {check.offered.describe()}.\n")
    return 0
