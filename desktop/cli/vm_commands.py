"""`status`, `start`, `stop`, `sizes`, `resize`: the VM lifecycle from the command line."""

from __future__ import annotations

import argparse
import sys

from desktop.cli.context import CommandContext
from desktop.cli.output import (
    Progress,
    auto_stop,
    dump_json,
    duration,
    printable,
    table,
    uptime,
    vm_json,
)
from desktop.core import errors
from desktop.core.model import ResizeStep, VmSnapshot, VmState
from desktop.core.polling import wait_for_state
from desktop.core.provider import CancelToken, Provider, VmPool
from desktop.core.stop_intent import StopSource, record_user_stop
from desktop.remote.ssh_config import unique_aliases


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the VM lifecycle commands to the parser."""
    status = commands.add_parser("status", help="show my VMs")
    status.add_argument("--json", action="store_true", help="print a JSON array")
    status.set_defaults(handler=show_status)

    for verb, handler, helptext in (
        ("start", start_command, "start a VM"),
        ("stop", stop_command, "stop a VM (a platform stop, so compute billing ends)"),
    ):
        parser = commands.add_parser(verb, help=helptext)
        parser.add_argument("vm", nargs="?", help="VM name or id (optional with one VM)")
        parser.add_argument("--wait", action="store_true", help="wait until it is done")
        parser.set_defaults(handler=handler)

    sizes = commands.add_parser("sizes", help="list the sizes a VM can be resized to")
    sizes.add_argument("vm", nargs="?", help="VM name or id (optional with one VM)")
    sizes.set_defaults(handler=list_sizes)

    resize = commands.add_parser("resize", help="change a VM's size (stops it if running)")
    resize.add_argument("size", help="the new size, e.g. t3.large")
    resize.add_argument("vm", nargs="?", help="VM name or id (optional with one VM)")
    resize.add_argument("--yes", action="store_true", help="do not ask before stopping the VM")
    resize.set_defaults(handler=resize_command)


def show_status(ctx: CommandContext) -> int:
    """Print my VMs as a table or a JSON array."""
    pairs = ctx.all_vms()
    vms = [vm for _, vm in pairs]
    if ctx.args.json:
        aliases = unique_aliases(vms)
        spend = ctx.services.spend
        dump_json([vm_json(vm, aliases[vm.id], spend.observe(p, vm)) for p, vm in pairs], ctx.out)
        return 0
    if not vms:
        ctx.out.write("No VMs of yours were found. `devtray doctor` shows where devtray looked.\n")
        if any(isinstance(provider, VmPool) for provider in ctx.providers()):
            ctx.out.write("`devtray claim` lists the VMs your labs offer to claim.\n")
        return 0
    rows = [
        [
            printable(vm.name),
            vm.id,
            vm.provider,
            vm.region,
            str(vm.state),
            vm.size,
            uptime(vm),
            vm.addresses.best() or "-",
        ]
        for vm in vms
    ]
    headers = ["NAME", "ID", "CLOUD", "REGION", "STATE", "SIZE", "UPTIME", "ADDRESS"]
    if any(vm.auto_stop for vm in vms):
        # Only clouds that stop VMs on a schedule of their own (Azure labs) fill this column.
        headers.append("AUTO-STOP")
        rows = [[*row, auto_stop(vm)] for row, vm in zip(rows, vms, strict=True)]
    ctx.out.write(table(rows, headers) + "\n")
    return 0


def start_command(ctx: CommandContext) -> int:
    """Start a VM, optionally waiting until it runs."""
    provider, vm = ctx.pick_vm(ctx.args.vm)
    snapshot = provider.start_vm(vm.id)
    return _finish(ctx, provider, snapshot, VmState.RUNNING, "started")


def stop_command(ctx: CommandContext) -> int:
    """Stop a VM, optionally waiting until it is stopped. A day's sync to it (the tray's, or
    a `devtray up`'s) is flushed first; a stop that would lose changes is refused."""
    provider, vm = ctx.pick_vm(ctx.args.vm)
    reason = ctx.services.day.before_stop(vm)
    if reason is not None:
        raise errors.InvalidState(
            f"Not stopping {printable(vm.name)}: sync could not finish ({reason}).",
            hint="Resume sync (`devtray sync resume`) or wait for it, then stop again.",
        )
    record_user_stop(vm.id, StopSource.CLI_STOP)
    snapshot = provider.stop_vm(vm.id)
    return _finish(ctx, provider, snapshot, VmState.STOPPED, "stopped")


def _finish(
    ctx: CommandContext, provider: Provider, vm: VmSnapshot, target: VmState, verb: str
) -> int:
    name = printable(vm.name)
    if ctx.args.wait and vm.state is not target:
        vm = _wait(ctx, provider, vm, target)
    if vm.state is target:
        ctx.out.write(f"{name} is {target}.\n")
    else:
        ctx.out.write(f"{name} is being {verb} (now {vm.state}).\n")
    return 0


def _wait(ctx: CommandContext, provider: Provider, vm: VmSnapshot, target: VmState) -> VmSnapshot:
    progress = Progress(ctx.err, ctx.interactive)
    name = printable(vm.name)
    cancel = CancelToken()
    try:
        return wait_for_state(
            lambda: provider.refresh(vm.id),
            {target},
            cancel=cancel,
            on_progress=lambda snap, elapsed: progress.show(
                f"{name}: {snap.state} ({duration(elapsed)})"
            ),
            interval=ctx.services.config.polling.fast_seconds,
        )
    except KeyboardInterrupt:
        raise errors.Cancelled(
            f"Stopped waiting; {name} carries on in the cloud.",
            hint="`devtray status` shows where it is.",
        ) from None
    finally:
        progress.done()


def list_sizes(ctx: CommandContext) -> int:
    """Print the sizes the VM may take."""
    provider, vm = ctx.pick_vm(ctx.args.vm)
    sizes = provider.list_sizes(vm.id)
    rows = [
        [
            ("* " if size.name == vm.size else "  ") + size.name,
            str(size.vcpus if size.vcpus is not None else "-"),
            f"{size.memory_gib:g} GiB" if size.memory_gib is not None else "-",
            size.architecture or "-",
            f"${size.hourly_price:.4f}/h" if size.hourly_price is not None else "-",
        ]
        for size in sizes
    ]
    ctx.out.write(table(rows, ["  SIZE", "VCPU", "MEMORY", "ARCH", "PRICE"]) + "\n")
    ctx.out.write(f"* = current size of {printable(vm.name)}\n")
    return 0


def resize_command(ctx: CommandContext) -> int:
    """Resize a VM after checking the size fits; ask before stopping a running VM."""
    provider, vm = ctx.pick_vm(ctx.args.vm)
    plan = provider.plan_resize(vm.id, ctx.args.size)
    ctx.err.write(printable(plan.summary()) + "\n")
    if plan.needs_stop and not ctx.args.yes and not _confirm(ctx, f"Stop {vm.name} and resize?"):
        ctx.err.write("Nothing changed.\n")
        return 1
    progress = Progress(ctx.err, ctx.interactive)
    labels = {
        ResizeStep.CHECKING: "checking",
        ResizeStep.STOPPING: "stopping",
        ResizeStep.RESIZING: f"changing size to {plan.target.name}",
        ResizeStep.STARTING: "starting",
        ResizeStep.DONE: "done",
    }
    cancel = CancelToken()
    try:
        final = provider.resize_vm(
            plan,
            lambda step, snap: progress.show(
                f"{printable(vm.name)}: {labels[step]}" + (f" ({snap.state})" if snap else "")
            ),
            cancel,
        )
    except KeyboardInterrupt:
        cancel.cancel()
        raise errors.Cancelled(
            f"Resize interrupted; `devtray status` shows the state of {printable(vm.name)}."
        ) from None
    finally:
        progress.done()
    ctx.out.write(f"{printable(final.name)} is {final.size}, {final.state}.\n")
    return 0


def _confirm(ctx: CommandContext, question: str) -> bool:
    if not sys.stdin.isatty():
        raise errors.UsageError(
            "This resize stops a running VM and there is no terminal to ask.",
            hint="Add --yes to confirm.",
        )
    ctx.err.write(f"{printable(question)} [y/N] ")
    ctx.err.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")
