"""What one VM costs, as the tray and `status` show it: the estimate from devtray's record,
with the cloud's billed month kept apart. Built on `cost` (rates, periods) and `billed` (the
bill); neither of them knows about it, so the arrows go one way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from desktop.core.billed import BilledMonth
from desktop.core.cost import (
    STOPPED_STATES,
    CostBasis,
    PeriodCost,
    StateChange,
    cost_between,
    format_money,
    local_day_start,
    month_start,
)
from desktop.core.humanize import duration
from desktop.core.model import VmState


@dataclass(frozen=True)
class SpendSummary:
    """What the tray and `status --json` show about one VM's spend.

    `today` and `month` are always estimates from devtray's record (`basis`); `billed` is the
    cloud's own bill for the month, kept apart (see `core.billed`), and `billed_note` says why
    there is none when the cloud could not give one.
    """

    vm_id: str
    state: VmState | None
    hourly_now: float | None
    today: PeriodCost
    month: PeriodCost
    stopped_daily: float | None
    currency: str = "USD"
    basis: CostBasis = CostBasis.ESTIMATE
    billed: BilledMonth | None = None
    billed_note: str | None = None
    # Local time devtray's record of this VM begins, when that is today: what "today" covers.
    recording_began_today: datetime | None = None


def summarize(
    changes: Sequence[StateChange], vm_id: str, now: datetime, tz: tzinfo
) -> SpendSummary:
    """$/h now, today's and this month's cost for one VM (estimates from its record)."""
    mine = sorted((c for c in changes if c.vm_id == vm_id), key=lambda c: c.at)
    latest = mine[-1] if mine else None
    today_start = local_day_start(now.astimezone(tz).date(), tz)
    stopped_hourly = latest.rates.stopped if latest else None
    began = mine[0].at.astimezone(tz) if mine and mine[0].at > today_start else None
    return SpendSummary(
        vm_id=vm_id,
        state=latest.state if latest else None,
        hourly_now=latest.rates.for_state(latest.state) if latest else None,
        today=cost_between(mine, today_start, now, now),
        month=cost_between(mine, month_start(now, tz), now, now),
        stopped_daily=stopped_hourly * 24 if stopped_hourly is not None else None,
        currency=latest.rates.currency if latest else "USD",
        recording_began_today=began,
    )


def spend_line(summary: SpendSummary) -> str:
    """One line for the tray: `$0.0912/h · today $1.20 (estimate)` or the stopped cost."""
    currency = summary.currency
    if summary.state is None:
        return "Cost unknown (no record yet)"
    today = format_money(summary.today.amount, currency)
    label = _what_today_covers(summary)
    if summary.state is VmState.RUNNING and summary.hourly_now is not None:
        rate = format_money(summary.hourly_now, currency, hourly=True)
        return f"{rate}/h · today {today} ({label})"
    if summary.state in STOPPED_STATES and summary.stopped_daily:
        daily = format_money(summary.stopped_daily, currency)
        if summary.state is VmState.STOPPED:
            return f"Stopped, still costs {daily}/day (disks, IP) · today {today} ({label})"
        # Starting, stopping, resizing: the compute is not billed yet (or any more).
        state = str(summary.state).capitalize()
        return f"{state}, costs {daily}/day (disks, IP) · today {today} ({label})"
    return f"Today {today} ({label})"


def _what_today_covers(summary: SpendSummary) -> str:
    """`estimate`, or what an incomplete figure leaves out, in words a person can check."""
    basis = str(summary.basis)
    today = summary.today
    if today.complete:
        return basis
    # Unrecorded hours are those before the record's first entry (see cost_between).
    began = summary.recording_began_today
    if today.unrecorded_hours and began is not None:
        return f"{basis} since {began:%H:%M}, when devtray began recording"
    if today.unpriced_hours:
        return f"{basis}; {duration(today.unpriced_hours * 3600)} without a known price"
    return f"{basis}, some hours not recorded"
