"""`cost`, `autostop` and `agent`: what a VM costs, when it stops, and the VM-side safety net."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from desktop.cli.context import CommandContext
from desktop.cli.output import cost_json, dump_json, printable, table
from desktop.core import errors
from desktop.core.autostop import (
    InOsShutdown,
    Policy,
    PolicyState,
    countdown_text,
)
from desktop.core.autostop_controller import AutostopController
from desktop.core.autostop_store import AutostopStore
from desktop.core.billed import BilledCosts, billed_days, month_line
from desktop.core.config import WEEKDAYS
from desktop.core.cost import daily_costs, format_money
from desktop.core.localtime import local_zone
from desktop.core.model import VmSnapshot, VmState
from desktop.core.provider import Provider
from desktop.core.server_stop import ServerHold, ServerStopHold
from desktop.core.shutdown import describe_auto_stop
from desktop.core.spend import spend_line
from desktop.remote.idle_agent import AgentLayout, IdleAgent, record_snooze, shutdown_warning
from desktop.remote.ssh_config import ssh_command, ssh_config_path, unique_aliases

_DURATION = re.compile(r"^(\d+)\s*(m|min|h)$")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the cost, autostop and agent commands."""
    cost = commands.add_parser("cost", help="what a VM costs: $/h now, today, this month")
    cost.add_argument("vm", nargs="?", help="VM name or id (optional with one VM)")
    cost.add_argument(
        "--days",
        type=_day_count,
        default=0,
        help="also list the last N days (those devtray has a record or a bill for)",
    )
    cost.add_argument("--json", action="store_true", help="print JSON")
    cost.set_defaults(handler=cost_command)

    autostop = commands.add_parser("autostop", help="the end-of-day stop: status, snooze")
    verbs = autostop.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb, helptext in (
        ("status", "the schedule, the idle rule and the next stop"),
        ("keep-running", "no automatic stop until tomorrow morning"),
        ("resume", "cancel a snooze or keep-running"),
    ):
        sub = verbs.add_parser(verb, help=helptext)
        sub.add_argument("vm", nargs="?", help="VM name or id (optional with one VM)")
    snooze = verbs.add_parser("snooze", help="put the next automatic stop off: 30m, 1h, 2h")
    snooze.add_argument("duration", help="how long, e.g. 30m or 2h")
    snooze.add_argument("vm", nargs="?", help="VM name or id (optional with one VM)")
    autostop.set_defaults(handler=autostop_command)

    agent = commands.add_parser("agent", help="the idle agent on the VM: install, status, remove")
    agent.add_argument("verb", choices=("install", "status", "remove"))
    agent.add_argument("vm", nargs="?", help="VM name or id (optional with one VM)")
    agent.add_argument(
        "--idle-minutes", type=float, help="stop after this many idle minutes (default: config)"
    )
    agent.set_defaults(handler=agent_command)


def cost_command(ctx: CommandContext) -> int:
    """Print the VM's spend and, with --days, a daily list.

    Figures are estimates from devtray's record, except where the cloud's bill is available:
    those are labelled billed, and why a bill is unavailable is said once, below the figures.
    """
    provider, vm = ctx.pick_vm(ctx.args.vm)
    tracker = ctx.services.spend
    summary = tracker.observe(provider, vm)
    changes = tracker.record.changes(vm.id)
    costs = summary.billed.costs if summary.billed else None
    now = datetime.now(UTC)
    known_since = _known_since(
        changes[0].at.astimezone(tracker.tz).date() if changes else None, costs
    )
    days = _days_known(ctx.args.days, now.astimezone(tracker.tz).date(), known_since)
    estimates = daily_costs(changes, vm.id, now, tracker.tz, days) if days else []
    daily, billed = billed_days(estimates, costs, vm.id)
    cut_short = days < ctx.args.days
    if ctx.args.json:
        dump_json(
            {
                "id": vm.id,
                "name": vm.name,
                **cost_json(summary),
                "days_known_since": known_since.isoformat() if known_since else None,
                "days": [
                    {
                        "date": d.isoformat(),
                        "cost": round(c.amount, 4),
                        "basis": "billed" if d in billed else "estimate",
                    }
                    for d, c in daily
                ],
            },
            ctx.out,
        )
        return 0
    money = summary.currency
    lines = [f"{printable(vm.name)} ({vm.id}), {vm.size}, {vm.state}", spend_line(summary)]
    lines.append(month_line(summary.month, summary.billed, vm.id, money))
    if summary.month.unrecorded_hours:
        since = changes[0].at.astimezone(tracker.tz) if changes else None
        lines.append(
            f"  devtray's record starts {since:%d %b %H:%M}; earlier hours are not counted."
            if since
            else "  no record yet."
        )
    if summary.month.unpriced_hours:
        lines.append(f"  {summary.month.unpriced_hours:.1f} hours could not be priced.")
    if summary.stopped_daily is not None and vm.state is VmState.RUNNING:
        lines.append(
            f"Stopped, it would still cost {format_money(summary.stopped_daily, money)}/day "
            "(disks, IP)."
        )
    if summary.billed_note:
        lines.append(summary.billed_note[0].upper() + summary.billed_note[1:] + ".")
    ctx.out.write("\n".join(lines) + "\n")
    if daily:
        rows = [
            [
                d.strftime("%a %d %b"),
                format_money(c.amount, money),
                "billed" if d in billed else "estimate",
            ]
            for d, c in daily
        ]
        ctx.out.write(table(rows, ["DAY", "COST", "BASIS"]) + "\n")
    if cut_short:
        ctx.out.write(
            f"devtray's record of {printable(vm.name)} begins {known_since:%a %d %b %Y}"
            if known_since
            else f"devtray has no record of {printable(vm.name)} yet"
        )
        ctx.out.write(f"; listing {days} of the {ctx.args.days} days asked for.\n")
    return 0


def _day_count(text: str) -> int:
    """`--days N`: a whole number, 0 or more."""
    try:
        days = int(text)
    except ValueError:
        days = -1
    if days < 0:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of days (0 or more), not {text!r}"
        )
    return days


def _known_since(recorded: date | None, costs: BilledCosts | None) -> date | None:
    """The first day devtray knows anything about: its own record's or the bill's first day."""
    billed = min((day.day for day in costs.days), default=None) if costs else None
    known = [day for day in (recorded, billed) if day is not None]
    return min(known) if known else None


def _days_known(asked: int, today: date, since: date | None) -> int:
    """How many of the last `asked` days to list: none before devtray knew of the VM."""
    if since is None:
        return 0
    return max(0, min(asked, (today - since).days + 1))


def parse_duration(text: str) -> timedelta:
    """`30m`, `90min`, `2h` as a timedelta (1 minute to 12 hours)."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise errors.UsageError(f"{text!r} is not a duration", hint="Write it like 30m, 1h or 2h.")
    amount = int(match.group(1))
    length = timedelta(hours=amount) if match.group(2) == "h" else timedelta(minutes=amount)
    if not timedelta(minutes=1) <= length <= timedelta(hours=12):
        raise errors.UsageError(f"A snooze lasts 1 minute to 12 hours, not {text}.")
    return length


def autostop_command(ctx: CommandContext) -> int:
    """Show the auto-stop schedule, or record a snooze / keep-running / resume."""
    provider, vm = ctx.pick_vm(ctx.args.vm)
    settings = ctx.services.config.autostop
    policy = Policy(settings, local_zone())
    now = datetime.now(UTC)
    controller = AutostopController(
        policy,
        AutostopStore(),
        vm.id,
        stop_vm=lambda: provider.stop_vm(vm.id),
        flush=lambda: None,  # nothing is stopped from here: only choices are recorded
        record_on_vm=_vm_recorder(ctx, provider, vm),
        hold_server_stop=_server_holder(provider, vm),
    )
    verb = ctx.args.verb
    if verb == "snooze":
        ctx.out.write(controller.snooze(now, parse_duration(ctx.args.duration)) + "\n")
    elif verb == "keep-running":
        ctx.out.write(controller.keep_running_tonight(now) + "\n")
    elif verb == "resume":
        ctx.out.write(controller.resume(now) + "\n")
    else:
        released = controller.release_ended_hold(now)
        if released:
            ctx.out.write(released + "\n")
            vm = provider.refresh(vm.id)
        ctx.out.write(_autostop_status(policy, vm, now) + "\n")
        ctx.out.write(_server_status(provider, vm, now))
    return 0


def _server_holder(
    provider: Provider, vm: VmSnapshot
) -> Callable[[ServerHold | None, datetime], str | None] | None:
    """Moves the cloud's own stop schedule with a snooze, where the cloud has one (Azure labs)."""
    if not isinstance(provider, ServerStopHold):
        return None
    holder = provider

    def hold(held: ServerHold | None, now: datetime) -> str | None:
        return holder.hold_server_stop(vm.id, held, now)

    return hold


def _server_status(provider: Provider, vm: VmSnapshot, now: datetime) -> str:
    """The cloud's own schedule (an Azure lab's) and what devtray changed in it, if anything."""
    lines = []
    if vm.auto_stop is not None:
        lines.append(f"Lab schedule: {describe_auto_stop(vm.auto_stop, now, local_zone())}.")
    note = (
        provider.describe_server_hold(vm.id, now) if isinstance(provider, ServerStopHold) else None
    )
    if note:
        lines.append(note)
    return "".join(f"{line}\n" for line in lines)


def _autostop_status(policy: Policy, vm: VmSnapshot, now: datetime) -> str:
    settings = policy.settings
    if not settings.enabled:
        return "Auto-stop is off ([autostop] enabled = false)."
    days = ", ".join(
        f"{day} {at:%H:%M}" for day, at in zip(WEEKDAYS, settings.stop_times, strict=True) if at
    )
    choices = AutostopStore().load(vm.id).active(now)
    running_since = vm.state_since or vm.launched_at or now
    state = PolicyState(
        running_since=running_since if vm.state is VmState.RUNNING else None,
        snooze_until=choices.snooze_until,
        keep_running_until=choices.keep_running_until,
    )
    lines = [
        f"End of day: {days or 'no day'} (local time), "
        f"warned {settings.warn_minutes:g} min before.",
        f"Idle rule: {settings.idle_minutes:g} idle minutes by day, "
        f"{settings.after_hours_idle_minutes:g} after hours.",
    ]
    if vm.state is VmState.RUNNING:
        lines.append(
            f"{printable(vm.name)}: {countdown_text(policy, state, now) or 'no stop due'}."
        )
    else:
        lines.append(f"{printable(vm.name)} is {vm.state}.")
    return "\n".join(lines)


def _ssh_for(ctx: CommandContext, vm: VmSnapshot) -> list[str]:
    alias = unique_aliases([v for _, v in ctx.all_vms()]).get(vm.id)
    if alias is None:
        raise errors.NotFound(f"{vm.name} is no longer among your VMs.")
    return ssh_command(alias, ssh_config_path())


def _vm_recorder(
    ctx: CommandContext, provider: Provider, vm: VmSnapshot
) -> Callable[[datetime | None], None]:
    """Records a snooze on the VM for its idle agent, when the VM runs and has one."""
    return lambda until: record_snooze(provider, vm, lambda: _ssh_for(ctx, vm), until)


def agent_command(ctx: CommandContext) -> int:
    """Install, inspect or remove the idle agent on the VM."""
    provider, vm = ctx.pick_vm(ctx.args.vm)
    if vm.state is not VmState.RUNNING:
        raise errors.InvalidState(
            f"{printable(vm.name)} is {vm.state}; the agent is managed over SSH.",
            hint=f"Start it first: devtray start {printable(vm.name)} --wait",
        )
    agent = IdleAgent(_ssh_for(ctx, vm), AgentLayout())
    verb = ctx.args.verb
    if verb == "install":
        ctx.out.write(_check_shutdown(provider, vm) + "\n")
        minutes = ctx.args.idle_minutes or ctx.services.config.autostop.agent_idle_minutes
        settings = ctx.services.config.autostop
        status = agent.install(idle_minutes=minutes, cpu_busy_percent=settings.cpu_busy_percent)
        ctx.out.write(status.describe() + "\n")
    elif verb == "remove":
        agent.remove()
        ctx.out.write(f"The idle agent was removed from {printable(vm.name)}.\n")
    else:
        ctx.out.write(agent.status().describe() + "\n")
    return 0


def _check_shutdown(provider: Provider, vm: VmSnapshot) -> str:
    """Refuse when an in-OS shutdown would not stop the VM; otherwise say what it does."""
    if not isinstance(provider, InOsShutdown):
        return (
            f"Note: devtray cannot check what a shutdown inside {printable(vm.name)} does on "
            f"{provider.name}; make sure it stops (not deletes) the VM."
        )
    effect = provider.in_os_shutdown_effect(vm.id)
    warning = shutdown_warning(effect)
    if warning is not None:
        raise errors.InvalidState(warning)
    return f"Checked: a shutdown inside {printable(vm.name)} stops it (shutdown behaviour: stop)."
