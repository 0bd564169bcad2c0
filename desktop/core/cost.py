"""Spend math: what a VM costs per hour now, today and this month, from its state changes.

Everything here is pure: times come in as arguments (aware datetimes), prices as rates. Periods
("today", "this month") are local calendar periods, but durations are always measured in UTC so
a day with a daylight-saving change has 23 or 25 billable hours, as the cloud bills it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol, runtime_checkable

from desktop.core.model import VmSnapshot, VmState

# The cloud providers' convention for turning monthly prices (disk GB-month) into hourly ones.
HOURS_PER_MONTH = 730.0

_RUNNING_STATES = frozenset({VmState.RUNNING})
# EC2 does not bill compute while pending or stopping; a resize happens while stopped.
STOPPED_STATES = frozenset({VmState.STOPPED, VmState.STARTING, VmState.STOPPING, VmState.RESIZING})


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

    def for_state(self, state: VmState) -> float | None:
        """The hourly rate that applies in `state`; 0 once terminated, None if unknown."""
        if state in _RUNNING_STATES:
            return self.running
        if state in STOPPED_STATES:
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

    def rates(self) -> HourlyRates:
        """Running and stopped rates from the parts; unknown parts make the total unknown."""
        storage = self._storage_hourly()
        ip_running = self._ip_hourly(self.public_ipv4_running)
        ip_stopped = self._ip_hourly(self.public_ipv4_stopped)
        stopped = _sum(storage, ip_stopped)
        running = _sum(self.compute_hourly, storage, ip_running)
        return HourlyRates(running=running, stopped=stopped, currency=self.currency)

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


def running_between(changes: Sequence[StateChange], start: datetime, end: datetime) -> timedelta:
    """How long the VM ran from `start` to `end`, from its changes (each state holds until
    the next change; time before the first change is not counted)."""
    ordered = sorted(changes, key=lambda change: change.at)
    total = timedelta()
    for index, change in enumerate(ordered):
        following = ordered[index + 1].at if index + 1 < len(ordered) else end
        seg_start, seg_end = max(change.at, start), min(following, end)
        if change.state is VmState.RUNNING and seg_end > seg_start:
            total += seg_end - seg_start
    return total


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
