"""Billed figures joined with devtray's estimates: billed through a day, estimated since."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from desktop.core import errors
from desktop.core.billed import (
    BilledCosts,
    BilledDay,
    BilledScope,
    BilledUnavailable,
    billed_days,
    billed_month,
    billing_day_end,
    month_line,
    sum_costs,
)
from desktop.core.cost import (
    CostBasis,
    PeriodCost,
    PriceSheet,
    daily_costs,
)
from desktop.core.model import VmSnapshot, VmState
from desktop.core.spend_record import SpendRecord
from desktop.core.spend_tracker import SpendTracker
from tests.unit.test_cost import change

BERLIN = ZoneInfo("Europe/Berlin")  # RATES in test_cost: $1/h running, $0.10/h stopped


def bill(
    through: date,
    days: dict[date, float] | None = None,
    vm_ids: tuple[str, ...] = ("i-1",),
    month_amount: float | None = None,
) -> BilledCosts:
    return BilledCosts(
        source="AWS Cost Explorer",
        scope=BilledScope.OWNER,
        scope_label="resources tagged Owner=alice",
        vm_ids=frozenset(vm_ids),
        through=through,
        days=tuple(BilledDay(d, a) for d, a in sorted((days or {}).items())),
        month_amount=month_amount,
    )


def test_month_is_billed_through_a_day_and_estimated_after_its_utc_end() -> None:
    # Running since 20 Nov 00:00 UTC at $1/h; the bill covers 1-21 Nov.
    changes = [change(datetime(2026, 11, 20, tzinfo=UTC), VmState.RUNNING)]
    days = {date(2026, 11, d): 2.0 for d in range(1, 22)}
    days[date(2026, 10, 31)] = 100.0  # last month: not in this month's figure
    now = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    month = billed_month(bill(date(2026, 11, 21), days), changes, now, BERLIN)
    assert month is not None
    assert month.billed == pytest.approx(42.0)
    assert month.through == date(2026, 11, 21)
    # Estimated from 22 Nov 00:00 UTC to now: 30 hours at $1/h, every hour recorded.
    assert month.estimate_since.amount == pytest.approx(30.0)
    assert month.estimate_since.complete
    assert billing_day_end(date(2026, 11, 21)) == datetime(2026, 11, 22, tzinfo=UTC)


def test_the_estimate_since_adds_every_vm_the_bill_covers_and_only_those() -> None:
    start = datetime(2026, 11, 22, tzinfo=UTC)
    changes = [
        change(start, VmState.RUNNING, vm="i-1"),
        change(start, VmState.STOPPED, vm="i-2"),
        change(start, VmState.RUNNING, vm="i-other"),  # someone else's: not in the bill
    ]
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    costs = bill(date(2026, 11, 21), {date(2026, 11, 21): 5.0}, vm_ids=("i-1", "i-2"))
    month = billed_month(costs, changes, now, UTC)
    assert month is not None
    assert month.estimate_since.amount == pytest.approx(10 * 1.0 + 10 * 0.1)


def test_unrecorded_hours_after_the_bill_are_reported_not_guessed() -> None:
    changes = [change(datetime(2026, 11, 22, 5, tzinfo=UTC), VmState.RUNNING)]
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    month = billed_month(bill(date(2026, 11, 21), {date(2026, 11, 21): 1.0}), changes, now, UTC)
    assert month is not None
    assert month.estimate_since.amount == pytest.approx(5.0)
    assert month.estimate_since.unrecorded_hours == pytest.approx(5.0)
    line = month_line(PeriodCost(0), month, "i-1")
    assert line == "This month: $1.00 billed to 21 Nov + $5.00 estimate since (partial)"


def test_nothing_billed_this_month_yet_means_estimates_only() -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    costs = bill(date(2026, 11, 29), {date(2026, 11, 29): 3.0})
    assert billed_month(costs, [], now, UTC) is None
    # A month-to-date total from the cloud counts only for its own month.
    totals = bill(date(2026, 11, 29), month_amount=40.0)
    assert billed_month(totals, [], now, UTC) is None
    november = datetime(2026, 11, 30, 9, tzinfo=UTC)
    month = billed_month(totals, [], november, UTC)
    assert month is not None and month.billed == 40.0


def test_the_month_starts_at_local_midnight_but_billing_days_are_utc_dates() -> None:
    # 1 Dec 00:30 in Berlin is still 30 Nov in UTC: nothing of December is billed.
    now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    costs = bill(date(2026, 11, 28), {date(2026, 11, 28): 3.0})
    assert billed_month(costs, [], now, BERLIN) is None
    assert billed_month(costs, [], now, UTC) is not None


def test_month_line_labels_every_part() -> None:
    estimate = PeriodCost(43.1)
    assert month_line(estimate, None, "i-1") == "This month: $43.10 (estimate)"
    partial = PeriodCost(43.1, unrecorded_hours=3)
    assert month_line(partial, None, "i-1") == "This month: $43.10 (estimate, partial)"
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    changes = [change(datetime(2026, 11, 1, tzinfo=UTC), VmState.STOPPED)]
    one = billed_month(bill(date(2026, 11, 21), month_amount=41.2), changes, now, UTC)
    assert one is not None
    assert month_line(estimate, one, "i-1") == (
        "This month: $41.20 billed to 21 Nov + $1.00 estimate since"
    )
    both = [*changes, change(datetime(2026, 11, 1, tzinfo=UTC), VmState.STOPPED, vm="i-2")]
    two = billed_month(
        bill(date(2026, 11, 21), month_amount=41.2, vm_ids=("i-1", "i-2")), both, now, UTC
    )
    assert two is not None
    assert month_line(estimate, two, "i-1") == (
        "This month: $41.20 billed to 21 Nov + $2.00 estimate since "
        "(all 2 VMs: resources tagged Owner=alice)"
    )


def test_chart_days_take_the_bill_only_when_it_is_this_vms_alone() -> None:
    changes = [change(datetime(2026, 11, 1, tzinfo=UTC), VmState.RUNNING)]
    now = datetime(2026, 11, 4, 12, tzinfo=UTC)
    days = daily_costs(changes, "i-1", now, UTC, days=4)
    costs = bill(date(2026, 11, 2), {date(2026, 11, 1): 20.0, date(2026, 11, 2): 21.0})
    merged, billed = billed_days(days, costs, "i-1")
    assert [round(c.amount, 2) for _d, c in merged] == [20.0, 21.0, 24.0, 12.0]
    assert billed == {date(2026, 11, 1), date(2026, 11, 2)}
    shared = bill(date(2026, 11, 2), {date(2026, 11, 1): 20.0}, vm_ids=("i-1", "i-2"))
    assert billed_days(days, shared, "i-1") == (days, frozenset())
    assert billed_days(days, None, "i-1") == (days, frozenset())


def test_sum_costs_adds_amounts_and_missing_hours() -> None:
    total = sum_costs([PeriodCost(1.0, 2.0, 0.0), PeriodCost(2.5, 0.0, 1.0)])
    assert total == PeriodCost(3.5, unpriced_hours=2.0, unrecorded_hours=1.0)
    assert sum_costs([]) == PeriodCost(0.0)


def test_unavailable_says_where_and_why() -> None:
    gone = BilledUnavailable("AWS Cost Explorer", "no permission ce:GetCostAndUsage")
    assert gone.describe() == (
        "billed figures unavailable (AWS Cost Explorer): no permission ce:GetCostAndUsage"
    )


class FakeBillingProvider:
    """A boundary fake: a provider whose prices and bill are given (clouds are tested apart)."""

    name = "fake"

    def __init__(self, answer: BilledCosts | BilledUnavailable | Exception | None) -> None:
        self.answer = answer

    def price_sheet(self, vm: VmSnapshot) -> PriceSheet:
        return PriceSheet(compute_hourly=1.0)

    def billed_costs(self, vm: VmSnapshot) -> BilledCosts | BilledUnavailable:
        if isinstance(self.answer, Exception):
            raise self.answer
        assert self.answer is not None
        return self.answer


class FakeUnbilledProvider:
    """A boundary fake: a provider with prices and no bill."""

    name = "fake"

    def price_sheet(self, vm: VmSnapshot) -> PriceSheet:
        return PriceSheet(compute_hourly=1.0)


def test_the_tracker_keeps_the_bill_apart_from_the_estimates(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 6, tzinfo=UTC)
    tracker = SpendTracker(SpendRecord(tmp_path / "spend.jsonl"), lambda: now, UTC)
    running = VmSnapshot(
        provider="fake",
        id="i-1",
        name="dev",
        region="r",
        state=VmState.RUNNING,
        size="t3.large",
        state_since=datetime(2026, 11, 22, tzinfo=UTC),
    )
    costs = bill(date(2026, 11, 21), month_amount=41.2)
    summary = tracker.observe(FakeBillingProvider(costs), running)  # type: ignore[arg-type]
    assert summary.basis is CostBasis.ESTIMATE
    assert summary.month.amount == pytest.approx(30.0)  # the estimate, unchanged
    assert summary.billed is not None and summary.billed_note is None
    assert summary.billed.billed == 41.2
    assert summary.billed.estimate_since.amount == pytest.approx(30.0)

    denied = BilledUnavailable("AWS Cost Explorer", "no permission ce:GetCostAndUsage")
    summary = tracker.observe(FakeBillingProvider(denied), running)  # type: ignore[arg-type]
    assert summary.billed is None
    assert summary.billed_note == denied.describe()

    offline = errors.Offline("Cannot reach AWS to read the bill.")
    summary = tracker.observe(FakeBillingProvider(offline), running)  # type: ignore[arg-type]
    assert summary.billed is None
    assert summary.billed_note == "billed figures unavailable: Cannot reach AWS to read the bill."

    last_month = bill(date(2026, 10, 31), month_amount=99.0)
    summary = tracker.observe(FakeBillingProvider(last_month), running)  # type: ignore[arg-type]
    assert summary.billed is None
    assert (
        summary.billed_note == "nothing billed this month yet (AWS Cost Explorer lags about a day)"
    )

    summary = tracker.observe(FakeUnbilledProvider(), running)  # type: ignore[arg-type]
    assert (summary.billed, summary.billed_note) == (None, None)
