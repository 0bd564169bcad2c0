"""`devtray market on-demand|spot [VM]`: move my VM between spot and on-demand, keeping its disk."""

from __future__ import annotations

import argparse
import sys

from desktop.cli.connect_commands import _sigterm_as_interrupt
from desktop.cli.context import CommandContext
from desktop.cli.output import printable
from desktop.core import errors
from desktop.core.model import Market, VmSnapshot
from desktop.core.provider import CancelToken, ConsoleOutputSource
from desktop.core.spot import MarketSwitcher, SwitchStep
from desktop.remote.known_hosts import KeyStatus, check_host_key, trust_new_key
from desktop.remote.ssh_config import (
    SshConfigWriter,
    default_paths,
    ssm_from_tools,
    unique_aliases,
)
from desktop.remote.ssh_greeting import ssh_answers
from desktop.system.tools import required_tool


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `market`."""
    market = commands.add_parser(
        "market", help="move the VM to spot or on-demand, keeping its disk (AWS)"
    )
    market.add_argument("target", choices=[str(m) for m in Market], help="the market to move to")
    market.add_argument("vm", nargs="?", help="VM name or id (optional with one VM)")
    market.add_argument(
        "--yes", action="store_true", help="terminate the old instance without asking"
    )
    market.set_defaults(handler=market_command)


def market_command(ctx: CommandContext) -> int:
    """Switch, printing each step; the old instance goes only once the new one answers."""
    provider, vm = ctx.pick_vm(ctx.args.vm)
    target = Market(ctx.args.target)
    if not isinstance(provider, MarketSwitcher):
        raise errors.UsageError(
            f"{provider.name} VMs cannot change market here.",
            hint="Spot and on-demand are EC2 markets; `devtray market` works on AWS VMs.",
        )
    name = printable(vm.name)
    ctx.err.write(f"Moving {name} ({vm.id}) to {target}, keeping its disk.\n")

    def progress(step: SwitchStep, detail: str) -> None:
        ctx.err.write(f"- {step} ({printable(detail)})\n")
        ctx.err.flush()

    def answers(new: VmSnapshot) -> bool:
        others = [v for _, v in ctx.all_vms() if v.id != vm.id]
        return ssh_answers(new, others, ctx.services.config)

    def confirm(old: VmSnapshot, new: VmSnapshot) -> bool:
        if ctx.args.yes:
            return True
        if not sys.stdin.isatty():
            return False
        reply = input(f"{new.id} answers. Terminate the old instance {old.id}? [y/N] ")
        return reply.strip().lower() in ("y", "yes")

    # SIGTERM as Ctrl-C: either ends the switch between steps, through its rollback.
    with _sigterm_as_interrupt():
        result = provider.switch_market(
            vm.id,
            target,
            progress=progress,
            answers=answers,
            confirm=confirm,
            cancel=CancelToken(),
        )
    if result.new.id != vm.id:
        _follow_new_instance(ctx, result.new)
    ctx.out.write(f"{name} is now {target}: {result.new.id}.\n")
    if not result.old_terminated and result.new.id != vm.id:
        ctx.out.write(
            f"The old instance {vm.id} is stopped and kept (its disk still bills); "
            f"remove it with: aws ec2 terminate-instances --instance-ids {vm.id}\n"
        )
    return 0


def _follow_new_instance(ctx: CommandContext, new: VmSnapshot) -> None:
    """The SSH block and the alias's host-key pin follow the new instance: the pin moves to
    its key when the VM's boot console confirms it, else the person is told how to check."""
    pairs = ctx.all_vms()
    vms = [vm for _, vm in pairs]
    change = SshConfigWriter(ssm=ssm_from_tools(ctx.services.config)).refresh(
        vms, ctx.services.config
    )
    for warning in change.warnings:
        ctx.err.write(f"warning: {warning}\n")
    alias = unique_aliases(vms).get(new.id)
    if alias is None or change.entry_for(new.id) is None:
        return
    provider = next((p for p, vm in pairs if vm.id == new.id), None)
    console = provider.console_output(new.id) if isinstance(provider, ConsoleOutputSource) else None
    known_hosts = default_paths().known_hosts
    try:
        check = check_host_key(
            required_tool("ssh"), alias, known_hosts, ssh_config=change.path, console_output=console
        )
        if check.status is KeyStatus.CHANGED and check.console_verified:
            trust_new_key(known_hosts, check)
            ctx.err.write(f"{alias}: now trusting {check.offered.describe()} (console-verified).\n")
        elif check.status is KeyStatus.CHANGED:
            ctx.err.write(check.explain() + f"\nTo trust it: devtray host-key {new.id} --trust\n")
    except errors.DevtrayError as exc:
        ctx.err.write(f"warning: the host key of {alias} was not checked: {exc.message}\n")
