"""`ssh-config`, `tunnels`, `open`: reach the VM with ssh, forwards and the IDE."""

from __future__ import annotations

import argparse

from desktop.cli.context import CommandContext
from desktop.cli.output import printable
from desktop.remote.ssh_config import SshConfigWriter, SsmProxy, check_aliases
from desktop.remote.tools import find_tool, tool_named


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the connect commands."""
    ssh_config = commands.add_parser(
        "ssh-config", help="write the devtray block of ~/.ssh/config (one Host per VM)"
    )
    ssh_config.add_argument(
        "--dry-run", action="store_true", help="print the change as a diff; write nothing"
    )
    ssh_config.set_defaults(handler=ssh_config_command)


def ssm_proxy(ctx: CommandContext) -> SsmProxy | None:
    """SSM ProxyCommand settings when the AWS CLI and the session-manager-plugin are present."""
    aws = find_tool(tool_named("aws"))
    if aws is None or find_tool(tool_named("session-manager-plugin")) is None:
        return None
    config = ctx.services.config
    return SsmProxy(aws_cli=aws, profile=config.aws.profile if config.aws else None)


def ssh_config_command(ctx: CommandContext) -> int:
    """Write (or with --dry-run, show) the managed block; print each alias."""
    vms = [vm for _, vm in ctx.all_vms()]
    config = ctx.services.config
    writer = SshConfigWriter(ssm=ssm_proxy(ctx))
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
    for warning in check_aliases(change):
        ctx.err.write(f"warning: {warning}\n")
    return 0
