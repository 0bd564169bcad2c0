"""`devtray sign-in azure` and `devtray claim` (a VM from an Azure DevTest Lab's pool)."""

from __future__ import annotations

import argparse
import webbrowser

from desktop.cli.context import CommandContext
from desktop.cli.output import printable, table
from desktop.core import errors
from desktop.core.model import VmSnapshot
from desktop.core.provider import CancelToken, VmPool


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `claim`."""
    claim = commands.add_parser("claim", help="claim a VM from a lab's pool (Azure DevTest Labs)")
    claim.add_argument("vm", nargs="?", help="the VM to claim (LAB/VM or its name); else list them")
    claim.add_argument("--any", action="store_true", help="claim whichever VM the lab offers")
    claim.add_argument("--lab", help="the lab to claim from (with several labs)")
    claim.set_defaults(handler=claim_command)


def register_sign_in(clouds: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sign-in azure` under `sign-in`."""
    azure = clouds.add_parser("azure", help="Microsoft sign-in (browser, or a device code)")
    azure.add_argument("--tenant", help="tenant id or domain (default: your home tenant)")
    azure.add_argument(
        "--device-code", action="store_true", help="sign in on another device with a code"
    )
    azure.set_defaults(handler=sign_in_azure)


def sign_in_azure(ctx: CommandContext) -> int:
    """Sign in; the tokens go to the OS-protected cache that later runs refresh silently."""
    from desktop.providers.azure.identity import sign_in

    def show_code(url: str, code: str) -> None:
        ctx.err.write(f"To sign in, open {url} and enter the code {code}\n")
        ctx.err.write("Waiting for you to finish in the browser...\n")
        ctx.err.flush()
        if not ctx.args.device_code:
            webbrowser.open(url)

    record = sign_in(
        ctx.services.config.azure,
        ctx.args.tenant,
        device_code=ctx.args.device_code,
        show_code=show_code,
    )
    ctx.out.write(f"Signed in to Azure as {record.username} (tenant {record.tenant_id}).\n")
    return 0


def claim_command(ctx: CommandContext) -> int:
    """List claimable VMs, or claim the one named (or any, with --any)."""
    pools = [p for p in ctx.providers() if isinstance(p, VmPool)]
    if not pools:
        raise errors.UsageError(
            "No configured cloud has VMs to claim.",
            hint="Claiming is for Azure DevTest Labs: add an [azure] section to your config.",
        )
    if ctx.args.any:
        if len(pools) > 1:
            raise errors.UsageError("Several clouds have pools; name the VM to claim.")
        return _claimed(ctx, pools[0].claim_vm(None, ctx.args.lab, CancelToken()))
    offers = [(pool, vm) for pool in pools for vm in pool.list_claimable_vms()]
    if ctx.args.vm is None:
        if not offers:
            ctx.out.write("No VM is free to claim in your labs.\n")
            return 0
        rows = [[printable(vm.id), vm.size, str(vm.state), vm.region] for _, vm in offers]
        ctx.out.write(table(rows, ["VM", "SIZE", "STATE", "REGION"]) + "\n")
        ctx.out.write("Claim one with `devtray claim LAB/VM`, or any with `devtray claim --any`.\n")
        return 0
    chosen = [(pool, vm) for pool, vm in offers if vm.matches(ctx.args.vm)]
    if len(chosen) != 1:
        free = ", ".join(printable(vm.id) for _, vm in offers) or "none"
        problem = "is not free to claim" if not chosen else "names several VMs; use LAB/VM"
        raise errors.NotFound(f"{printable(ctx.args.vm)} {problem}.", hint=f"Free: {free}.")
    pool, vm = chosen[0]
    return _claimed(ctx, pool.claim_vm(vm.id, None, CancelToken()))


def _claimed(ctx: CommandContext, vm: VmSnapshot) -> int:
    name = printable(vm.name)
    ctx.out.write(f"Claimed {name} ({printable(vm.id)}); it is {vm.state}.\n")
    if vm.state != "running":
        ctx.out.write(f"`devtray start {name}` starts it.\n")
    return 0
