"""What one VM costs, as the tray and `status` show it: the estimate from devtray's record,
with the cloud's billed month kept apart. Built on `cost` (rates, periods) and `billed` (the
bill); neither of them knows about it, so the arrows go one way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from desktop.core.billed import BilledMonth
from desktop.core.cost import (
    STOPPED_STATES,
    CostBasis,
    PeriodCost,
    StateChange,
    cost_between,
    local_day_start,
    month_start,
)
from desktop.core.humanize import duration_text
from desktop.core.model import VmState
from desktop.core.text import QT_TRANSLATE_NOOP, Clock, Money, Text


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
    # Spot: the $/h had the VM been on-demand, and this month's cost at on-demand prices.
    on_demand_hourly: float | None = None
    month_on_demand: PeriodCost | None = None
    # When the prices behind `hourly_now` were read from the cloud (spot prices move).
    priced_at: datetime | None = None

    @property
    def spot_saved_month(self) -> float | None:
        """What spot saved this month against on-demand, when the VM ran as spot."""
        if self.month_on_demand is None:
            return None
        return self.month_on_demand.amount - self.month.amount

    @property
    def spot_saving_percent(self) -> int | None:
        """How much less the spot $/h is than on-demand, in whole percent."""
        if self.on_demand_hourly is None or self.hourly_now is None or self.on_demand_hourly <= 0:
            return None
        return round(100 * (1 - self.hourly_now / self.on_demand_hourly))


def summarize(
    changes: Sequence[StateChange], vm_id: str, now: datetime, tz: tzinfo
) -> SpendSummary:
    """$/h now, today's and this month's cost for one VM (estimates from its record)."""
    mine = sorted((c for c in changes if c.vm_id == vm_id), key=lambda c: c.at)
    latest = mine[-1] if mine else None
    today_start = local_day_start(now.astimezone(tz).date(), tz)
    stopped_hourly = latest.rates.stopped if latest else None
    began = mine[0].at.astimezone(tz) if mine and mine[0].at > today_start else None
    ran_spot = any(c.rates.on_demand_running is not None for c in mine)
    as_on_demand = [replace(c, rates=c.rates.as_on_demand()) for c in mine]
    spot_now = latest is not None and latest.rates.on_demand_running is not None
    return SpendSummary(
        vm_id=vm_id,
        state=latest.state if latest else None,
        hourly_now=latest.rates.for_state(latest.state) if latest else None,
        today=cost_between(mine, today_start, now, now),
        month=cost_between(mine, month_start(now, tz), now, now),
        stopped_daily=stopped_hourly * 24 if stopped_hourly is not None else None,
        currency=latest.rates.currency if latest else "USD",
        recording_began_today=began,
        on_demand_hourly=latest.rates.as_on_demand().for_state(latest.state)
        if latest and spot_now
        else None,
        month_on_demand=cost_between(as_on_demand, month_start(now, tz), now, now)
        if ran_spot
        else None,
    )


_NO_RECORD = QT_TRANSLATE_NOOP("spend", "Cost unknown (no record yet)")
_RUNNING = QT_TRANSLATE_NOOP("spend", "{rate}/h · {today}")
_SPOT = QT_TRANSLATE_NOOP("spend", "Spot {rate}/h · saves {percent} % · {today}")
_STOPPED = QT_TRANSLATE_NOOP("spend", "Stopped, still costs {daily}/day (disks, IP) · {today}")
# Starting, stopping, resizing: the compute is not billed yet (or any more).
_BETWEEN = QT_TRANSLATE_NOOP("spend", "{state}, costs {daily}/day (disks, IP) · {today}")
_TODAY = QT_TRANSLATE_NOOP("spend", "Today {today} ({covers})")
_TODAY_TAIL = QT_TRANSLATE_NOOP("spend", "today {today} ({covers})")
_BASIS = {
    CostBasis.ESTIMATE: QT_TRANSLATE_NOOP("spend", "estimate"),
    CostBasis.BILLED: QT_TRANSLATE_NOOP("spend", "billed"),
}
_STATES = {
    VmState.STARTING: QT_TRANSLATE_NOOP("spend", "Starting"),
    VmState.STOPPING: QT_TRANSLATE_NOOP("spend", "Stopping"),
    VmState.RESIZING: QT_TRANSLATE_NOOP("spend", "Resizing"),
}
_SINCE = QT_TRANSLATE_NOOP("spend", "{basis} since {began}, when devtray began recording")
_UNPRICED = QT_TRANSLATE_NOOP("spend", "{basis}; {hours} without a known price")
_UNRECORDED = QT_TRANSLATE_NOOP("spend", "{basis}, some hours not recorded")


def spend_words(summary: SpendSummary) -> Text:
    """One line for the tray: `$0.0912/h · today $1.20 (estimate)` or the stopped cost.

    A running spot VM's line starts `Spot $0.0310/h · saves 68 %`.
    """
    currency = summary.currency
    if summary.state is None:
        return _NO_RECORD
    today = today_words(summary)
    if summary.state is VmState.RUNNING and summary.hourly_now is not None:
        rate = Money(summary.hourly_now, currency, hourly=True)
        saving = summary.spot_saving_percent
        if saving is not None:
            return _SPOT(rate=rate, percent=saving, today=today)
        return _RUNNING(rate=rate, today=today)
    if summary.state in STOPPED_STATES and summary.stopped_daily:
        daily = Money(summary.stopped_daily, currency)
        if summary.state is VmState.STOPPED:
            return _STOPPED(daily=daily, today=today)
        state = _STATES.get(summary.state, str(summary.state).capitalize())
        return _BETWEEN(state=state, daily=daily, today=today)
    return _TODAY(today=Money(summary.today.amount, currency), covers=_what_today_covers(summary))


def today_words(summary: SpendSummary) -> Text:
    """`today $1.20 (estimate)`, the tail of the spend line."""
    today = Money(summary.today.amount, summary.currency)
    return _TODAY_TAIL(today=today, covers=_what_today_covers(summary))


def spend_line(summary: SpendSummary) -> str:
    """`spend_words` in English (the CLI)."""
    return str(spend_words(summary))


def _what_today_covers(summary: SpendSummary) -> Text:
    """`estimate`, or what an incomplete figure leaves out, in words a person can check."""
    basis = _BASIS[summary.basis]
    today = summary.today
    if today.complete:
        return basis
    # Unrecorded hours are those before the record's first entry (see cost_between).
    began = summary.recording_began_today
    if today.unrecorded_hours and began is not None:
        return _SINCE(basis=basis, began=Clock(began))
    if today.unpriced_hours:
        return _UNPRICED(basis=basis, hours=duration_text(today.unpriced_hours * 3600))
    return _UNRECORDED(basis=basis)
