"""Billed figures: what the cloud's own bill says, and how it meets devtray's estimates.

A cloud's billing data (AWS Cost Explorer, Azure DevTest Labs costs) lags by about a day, so a
month is told in two labelled parts: *billed* from the month's first day through the last
complete billing day (`through`), and devtray's *estimate* since then. The two are never added
into one unlabelled number. Billing days are the cloud's days (UTC); periods after `through`
start at that day's UTC end, so the billed and the estimated parts neither overlap nor leave a
gap. Everything here is pure: times come in as arguments.

A bill may cover one VM (`BilledScope.VM`) or everything an owner tag marks
(`BilledScope.OWNER`: all the owner's VMs, and their tagged disks); `vm_ids` names the VMs whose
estimates complete the figure after `through`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol, runtime_checkable

from desktop.core.cost import PeriodCost, StateChange, cost_between, format_money, month_start
from desktop.core.model import VmSnapshot


class BilledScope(enum.StrEnum):
    """What a billed figure covers."""

    VM = "vm"  # this VM's own resources
    OWNER = "owner"  # everything tagged as the owner's: all their VMs (see `vm_ids`)


@dataclass(frozen=True)
class BilledDay:
    """The bill of one complete billing day (a UTC date)."""

    day: date
    amount: float


@dataclass(frozen=True)
class BilledCosts:
    """The cloud's bill for a scope, complete through `through` (inclusive, a UTC date).

    `days` are complete days, oldest first; a cloud that only gives a month-to-date total
    leaves them empty and sets `month_amount` (the total from the first of `through`'s month).
    """

    source: str  # for people: "AWS Cost Explorer"
    scope: BilledScope
    scope_label: str  # for people: "resources tagged Owner=alice"
    vm_ids: frozenset[str]
    through: date
    days: tuple[BilledDay, ...] = ()
    month_amount: float | None = None
    currency: str = "USD"
    fetched_at: datetime | None = None

    def covers_only(self, vm_id: str) -> bool:
        """True when the figure is this one VM's: it may then stand on the VM's own line."""
        return self.vm_ids == frozenset({vm_id})

    def month_to_date(self, first: date) -> float | None:
        """The billed amount from `first` (a month's first day) through `through`.

        None when nothing of that month is billed yet (early on the 1st, say).
        """
        if self.through < first:
            return None
        if self.month_amount is not None:
            same_month = (self.through.year, self.through.month) == (first.year, first.month)
            return self.month_amount if same_month else None
        return sum(d.amount for d in self.days if first <= d.day <= self.through)

    def day_amounts(self) -> dict[date, float]:
        """Each billed day's amount by date."""
        return {d.day: d.amount for d in self.days if d.day <= self.through}


@dataclass(frozen=True)
class BilledUnavailable:
    """No billed figure, and why, in words a person can act on."""

    source: str
    reason: str  # "activate the cost allocation tag 'Owner' in Billing"

    def describe(self) -> str:
        """`billed figures unavailable (AWS Cost Explorer): <reason>`."""
        return f"billed figures unavailable ({self.source}): {self.reason}"


BilledAnswer = BilledCosts | BilledUnavailable


@runtime_checkable
class BilledSource(Protocol):
    """A provider that can read its bill (an optional part of the Provider protocol)."""

    def billed_costs(self, vm: VmSnapshot) -> BilledAnswer:
        """The bill that covers `vm` (maybe with the owner's other VMs: see `scope`).

        Must not raise for the expected failures (no permission, no data, offline): those
        are a `BilledUnavailable`. Billing APIs can cost money per request: cache.
        """
        ...


@dataclass(frozen=True)
class BilledMonth:
    """This month as billed through `costs.through`, plus devtray's estimate since then."""

    costs: BilledCosts
    billed: float
    estimate_since: PeriodCost

    @property
    def through(self) -> date:
        """The last billed day (a UTC date)."""
        return self.costs.through


def billing_day_end(day: date) -> datetime:
    """When a billing day ends: the next UTC midnight."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def billed_month(
    costs: BilledCosts, changes: Sequence[StateChange], now: datetime, tz: tzinfo
) -> BilledMonth | None:
    """Combine the bill with devtray's record: billed through `through`, estimated since.

    `changes` may hold any VMs' changes; only those of `costs.vm_ids` count. None when nothing
    of the current (local) month is billed yet: then the month is an estimate only.
    """
    first = month_start(now, tz).date()
    billed = costs.month_to_date(first)
    if billed is None:
        return None
    since = billing_day_end(costs.through)
    estimate = sum_costs(
        cost_between(mine, since, now, now) for mine in _by_vm(changes, costs.vm_ids)
    )
    return BilledMonth(costs=costs, billed=billed, estimate_since=estimate)


def sum_costs(costs: Iterable[PeriodCost]) -> PeriodCost:
    """Several VMs' costs of the same period, added up."""
    amount = unpriced = unrecorded = 0.0
    for cost in costs:
        amount += cost.amount
        unpriced += cost.unpriced_hours
        unrecorded += cost.unrecorded_hours
    return PeriodCost(amount, unpriced_hours=unpriced, unrecorded_hours=unrecorded)


def _by_vm(changes: Sequence[StateChange], vm_ids: frozenset[str]) -> list[list[StateChange]]:
    grouped: dict[str, list[StateChange]] = {vm_id: [] for vm_id in sorted(vm_ids)}
    for change in sorted(changes, key=lambda c: c.at):
        if change.vm_id in grouped:
            grouped[change.vm_id].append(change)
    return list(grouped.values())


def billed_days(
    days: Sequence[tuple[date, PeriodCost]], costs: BilledCosts | None, vm_id: str
) -> tuple[list[tuple[date, PeriodCost]], frozenset[date]]:
    """One VM's daily estimates with the billed days put in, and which days are billed.

    Only a bill that covers this VM alone replaces its estimates; a day the bill does not
    list (or after `through`) keeps its estimate.
    """
    if costs is None or not costs.covers_only(vm_id):
        return list(days), frozenset()
    amounts = costs.day_amounts()
    merged = [(day, PeriodCost(amounts[day]) if day in amounts else cost) for day, cost in days]
    return merged, frozenset(day for day, _cost in days if day in amounts)


def month_line(
    month_estimate: PeriodCost,
    billed: BilledMonth | None,
    vm_id: str,
    currency: str = "USD",
) -> str:
    """`This month: $41.20 billed to 22 Nov + $1.90 estimate since` or `…: $43.10 (estimate)`.

    A bill wider than this VM is said to be so: `… (all 2 VMs: resources tagged Owner=alice)`.
    """
    if billed is None:
        partial = "" if month_estimate.complete else ", partial"
        return f"This month: {format_money(month_estimate.amount, currency)} (estimate{partial})"
    costs = billed.costs
    money = costs.currency
    text = (
        f"This month: {format_money(billed.billed, money)} billed to "
        f"{costs.through:%d %b} + {format_money(billed.estimate_since.amount, money)} "
        "estimate since"
    )
    if not billed.estimate_since.complete:
        text += " (partial)"
    if not costs.covers_only(vm_id):
        count = len(costs.vm_ids)
        vms = "1 VM" if count == 1 else f"all {count} VMs"
        text += f" ({vms}: {costs.scope_label})"
    return text
