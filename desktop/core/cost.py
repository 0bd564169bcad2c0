"""Spend math: what a VM costs per hour now, today and this month, from its state changes.

Everything here is pure: times come in as arguments (aware datetimes), prices as rates. Periods
("today", "this month") are local calendar periods, but durations are always measured in UTC so
a day with a daylight-saving change has 23 or 25 billable hours, as the cloud bills it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from desktop.core.model import VmSnapshot, VmState

if TYPE_CHECKING:
    from desktop.core.billed import BilledMonth

# The cloud providers' convention for turning monthly prices (disk GB-month) into hourly ones.
HOURS_PER_MONTH = 730.0

_RUNNING_STATES = frozenset({VmState.RUNNING})
# EC2 does not bill compute while pending or stopping; a resize happens while stopped.
_STOPPED_STATES = frozenset({VmState.STOPPED, VmState.STARTING, VmState.STOPPING, VmState.RESIZING})


class CostBasis(enum.StrEnum):
    """Where a figure comes from: our own arithmetic, or the cloud's bill."""

    ESTIMATE = "estimate"
    BILLED = "billed"


@dataclass(frozen=True)
class HourlyRates:
    """What a VM costs per hour while running and while stopped (None when unknown)."""

    running: float | None
    stopped: float | None
    currency: str = "USD"
    # What running would cost at the on-demand price, for a spot VM (None for on-demand ones):
    # what spot saved is measured against it.
    on_demand_running: float | None = None

    def as_on_demand(self) -> HourlyRates:
        """These rates had the VM been on-demand (the same rates when it is)."""
        if self.on_demand_running is None:
            return self
        return HourlyRates(self.on_demand_running, self.stopped, self.currency)

    def for_state(self, state: VmState) -> float | None:
        """The hourly rate that applies in `state`; 0 once terminated, None if unknown."""
        if state in _RUNNING_STATES:
            return self.running
        if state in _STOPPED_STATES:
            return self.stopped
        if state is VmState.TERMINATED:
            return 0.0
        return None


@dataclass(frozen=True)
class PriceSheet:
    """The prices and quantities that make up a VM's rates.

    `compute_hourly` is the instance's own price (on-demand or spot). Disks bill per GB-month
    whatever the state; public IPv4 addresses bill per hour while attached, and an elastic
    (kept) address keeps billing while the VM is stopped.
    """

    compute_hourly: float | None
    disk_gb: float = 0.0
    disk_gb_month: float | None = None
    public_ipv4_hourly: float | None = None
    public_ipv4_running: int = 0
    public_ipv4_stopped: int = 0
    currency: str = "USD"
    provenance: str = ""  # where the prices came from and how old they are, for people
    # For a spot VM: the on-demand price of the same type, to show what spot saves.
    on_demand_compute_hourly: float | None = None

    def rates(self) -> HourlyRates:
        """Running and stopped rates from the parts; unknown parts make the total unknown."""
        storage = self._storage_hourly()
        ip_running = self._ip_hourly(self.public_ipv4_running)
        ip_stopped = self._ip_hourly(self.public_ipv4_stopped)
        stopped = _sum(storage, ip_stopped)
        running = _sum(self.compute_hourly, storage, ip_running)
        on_demand = (
            None
            if self.on_demand_compute_hourly is None
            else _sum(self.on_demand_compute_hourly, storage, ip_running)
        )
        return HourlyRates(running, stopped, self.currency, on_demand_running=on_demand)

    def _storage_hourly(self) -> float | None:
        if self.disk_gb <= 0:
            return 0.0
        if self.disk_gb_month is None:
            return None
        return self.disk_gb * self.disk_gb_month / HOURS_PER_MONTH

    def _ip_hourly(self, count: int) -> float | None:
        if count <= 0:
            return 0.0
        if self.public_ipv4_hourly is None:
            return None
        return count * self.public_ipv4_hourly


@runtime_checkable
class CostSource(Protocol):
    """A provider that can price its VMs (an optional part of the Provider protocol)."""

    def price_sheet(self, vm: VmSnapshot) -> PriceSheet:
        """The prices and quantities behind `vm`'s running and stopped rates."""
        ...


def _sum(*parts: float | None) -> float | None:
    if any(part is None for part in parts):
        return None
    return sum(part for part in parts if part is not None)


@dataclass(frozen=True)
class StateChange:
    """From `at` on, the VM was in `state` at `size`, billed at `rates`."""

    at: datetime
    vm_id: str
    state: VmState
    size: str
    rates: HourlyRates

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("StateChange.at must be timezone-aware")


@dataclass(frozen=True)
class PeriodCost:
    """The cost of one period, and how many of its hours we could not price."""

    amount: float
    unpriced_hours: float = 0.0
    unrecorded_hours: float = 0.0

    @property
    def complete(self) -> bool:
        """True when every hour of the period was recorded and priced."""
        return self.unpriced_hours == 0 and self.unrecorded_hours == 0


def cost_between(
    changes: Sequence[StateChange], start: datetime, end: datetime, now: datetime
) -> PeriodCost:
    """The cost of one VM from `start` to `end` (clipped at `now`), from its sorted changes.

    Each state holds until the next recorded change (or `now`). Time before the first change is
    "unrecorded": it is reported, not guessed.
    """
    end = min(end, now).astimezone(UTC)
    start = start.astimezone(UTC)
    if end <= start:
        return PeriodCost(0.0)
    amount = 0.0
    unpriced = 0.0
    first = changes[0].at.astimezone(UTC) if changes else end
    unrecorded = _hours(start, min(first, end)) if first > start else 0.0
    for index, change in enumerate(changes):
        seg_start = max(change.at.astimezone(UTC), start)
        following = changes[index + 1].at.astimezone(UTC) if index + 1 < len(changes) else end
        seg_end = min(following, end)
        if seg_end <= seg_start:
            continue
        hours = _hours(seg_start, seg_end)
        rate = change.rates.for_state(change.state)
        if rate is None:
            unpriced += hours
        else:
            amount += rate * hours
    return PeriodCost(amount, unpriced_hours=unpriced, unrecorded_hours=unrecorded)


def _hours(start: datetime, end: datetime) -> float:
    # Both are UTC here: subtracting two datetimes sharing a zoneinfo would ignore DST.
    return (end - start).total_seconds() / 3600.0


def local_day_start(day: date, tz: tzinfo) -> datetime:
    """Local midnight of `day` in `tz`, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=tz)


def month_start(now: datetime, tz: tzinfo) -> datetime:
    """Local midnight of the first day of `now`'s month in `tz`."""
    local = now.astimezone(tz)
    return local_day_start(local.date().replace(day=1), tz)


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
        on_demand_hourly=latest.rates.as_on_demand().for_state(latest.state)
        if latest and spot_now
        else None,
        month_on_demand=cost_between(as_on_demand, month_start(now, tz), now, now)
        if ran_spot
        else None,
    )


def daily_costs(
    changes: Sequence[StateChange], vm_id: str, now: datetime, tz: tzinfo, days: int = 30
) -> list[tuple[date, PeriodCost]]:
    """The cost of each of the last `days` local days (today last), for the spending chart."""
    mine = sorted((c for c in changes if c.vm_id == vm_id), key=lambda c: c.at)
    today = now.astimezone(tz).date()
    result = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        start = local_day_start(day, tz)
        end = local_day_start(day + timedelta(days=1), tz)
        result.append((day, cost_between(mine, start, end, now)))
    return result


def format_money(amount: float, currency: str = "USD", *, hourly: bool = False) -> str:
    """`$1.23`, `$0.0912` for hourly rates (they are small), or `1.23 EUR`."""
    digits = 4 if hourly and abs(amount) < 1 else 2
    number = f"{amount:,.{digits}f}"
    return f"${number}" if currency == "USD" else f"{number} {currency}"


def spend_line(summary: SpendSummary) -> str:
    """One line for the tray: `$0.0912/h · today $1.20 (estimate)` or the stopped cost.

    A running spot VM's line starts `Spot $0.0310/h · saves 68 %`.
    """
    currency = summary.currency
    if summary.state is None:
        return "Cost unknown (no record yet)"
    if summary.state is VmState.RUNNING and summary.hourly_now is not None:
        rate = format_money(summary.hourly_now, currency, hourly=True)
        saving = summary.spot_saving_percent
        if saving is not None:
            return f"Spot {rate}/h · saves {saving} % · {today_text(summary)}"
        return f"{rate}/h · {today_text(summary)}"
    if summary.state in _STOPPED_STATES and summary.stopped_daily:
        daily = format_money(summary.stopped_daily, currency)
        return f"Stopped, still costs {daily}/day (disks, IP) · {today_text(summary)}"
    return f"Today {format_money(summary.today.amount, currency)} ({_basis_label(summary)})"


def today_text(summary: SpendSummary) -> str:
    """`today $1.20 (estimate)`, the tail of the spend line."""
    return f"today {format_money(summary.today.amount, summary.currency)} ({_basis_label(summary)})"


def _basis_label(summary: SpendSummary) -> str:
    return str(summary.basis) + ("" if summary.today.complete else ", partial")
