"""Spend from recorded state changes: across midnight, month end and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from desktop.core.cost import (
    HOURS_PER_MONTH,
    HourlyRates,
    PriceSheet,
    StateChange,
    cost_between,
    daily_costs,
    format_money,
)
from desktop.core.model import VmState
from desktop.core.spend import spend_line, summarize

BERLIN = ZoneInfo("Europe/Berlin")
RATES = HourlyRates(running=1.0, stopped=0.1)


def change(
    at: datetime, state: VmState, rates: HourlyRates = RATES, vm: str = "i-1"
) -> StateChange:
    return StateChange(at=at, vm_id=vm, state=state, size="t3.large", rates=rates)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_price_sheet_adds_compute_disks_and_addresses() -> None:
    sheet = PriceSheet(
        compute_hourly=0.0912,
        disk_gb=100,
        disk_gb_month=0.088,
        public_ipv4_hourly=0.005,
        public_ipv4_running=1,
        public_ipv4_stopped=0,
    )
    rates = sheet.rates()
    storage = 100 * 0.088 / HOURS_PER_MONTH
    assert rates.running == pytest.approx(0.0912 + storage + 0.005)
    assert rates.stopped == pytest.approx(storage)
    elastic = PriceSheet(
        compute_hourly=0.0912,
        disk_gb=100,
        disk_gb_month=0.088,
        public_ipv4_hourly=0.005,
        public_ipv4_running=1,
        public_ipv4_stopped=1,
    )
    assert elastic.rates().stopped == pytest.approx(storage + 0.005)


def test_unknown_parts_make_the_rate_unknown_not_zero() -> None:
    rates = PriceSheet(compute_hourly=None, disk_gb=8, disk_gb_month=0.08).rates()
    assert rates.running is None
    assert rates.stopped == pytest.approx(8 * 0.08 / HOURS_PER_MONTH)
    assert PriceSheet(compute_hourly=0.1, disk_gb=8).rates().stopped is None


def test_state_rates_bill_compute_only_while_running() -> None:
    assert RATES.for_state(VmState.RUNNING) == 1.0
    for state in (VmState.STOPPED, VmState.STARTING, VmState.STOPPING, VmState.RESIZING):
        assert RATES.for_state(state) == 0.1
    assert RATES.for_state(VmState.TERMINATED) == 0.0
    assert RATES.for_state(VmState.UNKNOWN) is None


def test_running_across_midnight_splits_between_days() -> None:
    changes = [
        change(berlin(2026, 3, 10, 22, 0), VmState.RUNNING),
        change(berlin(2026, 3, 11, 2, 0), VmState.STOPPED),
    ]
    now = berlin(2026, 3, 11, 12, 0)
    summary = summarize(changes, "i-1", now, BERLIN)
    # Today: 00:00-02:00 running (2 h at $1) + 02:00-12:00 stopped (10 h at $0.10).
    assert summary.today.amount == pytest.approx(3.0)
    assert summary.today.complete
    days = dict(daily_costs(changes, "i-1", now, BERLIN, days=2))
    assert days[berlin(2026, 3, 10).date()].amount == pytest.approx(2.0)
    assert days[berlin(2026, 3, 10).date()].unrecorded_hours == pytest.approx(22.0)


def test_month_to_date_starts_at_local_first_of_month() -> None:
    changes = [change(berlin(2026, 1, 31, 20, 0), VmState.RUNNING)]
    now = berlin(2026, 2, 1, 3, 0)
    summary = summarize(changes, "i-1", now, BERLIN)
    assert summary.month.amount == pytest.approx(3.0)
    assert summary.today.amount == pytest.approx(3.0)
    assert summary.hourly_now == 1.0


def test_spring_forward_day_has_23_billable_hours() -> None:
    # Berlin skips 02:00-03:00 on 29 March 2026.
    changes = [change(berlin(2026, 3, 28, 12, 0), VmState.RUNNING)]
    days = dict(daily_costs(changes, "i-1", berlin(2026, 3, 30, 0, 0), BERLIN, days=3))
    assert days[berlin(2026, 3, 29).date()].amount == pytest.approx(23.0)


def test_fall_back_day_has_25_billable_hours() -> None:
    changes = [change(berlin(2026, 10, 24, 12, 0), VmState.RUNNING)]
    day = berlin(2026, 10, 25)
    now = berlin(2026, 10, 26, 0, 0)
    cost = cost_between(changes, day, now, now)
    assert cost.amount == pytest.approx(25.0)


def test_missing_days_carry_the_last_known_state() -> None:
    # devtray was closed for three days; the VM stayed stopped (disks still billed).
    changes = [
        change(datetime(2026, 5, 1, 8, tzinfo=UTC), VmState.RUNNING),
        change(datetime(2026, 5, 1, 18, tzinfo=UTC), VmState.STOPPED),
        change(datetime(2026, 5, 5, 8, tzinfo=UTC), VmState.RUNNING),
    ]
    now = datetime(2026, 5, 5, 10, tzinfo=UTC)
    summary = summarize(changes, "i-1", now, UTC)
    assert summary.month.amount == pytest.approx(10 * 1.0 + 86 * 0.1 + 2 * 1.0)


def test_unpriced_hours_are_reported_not_counted() -> None:
    unknown = HourlyRates(running=None, stopped=0.1)
    changes = [change(datetime(2026, 5, 1, 0, tzinfo=UTC), VmState.RUNNING, unknown)]
    now = datetime(2026, 5, 1, 5, tzinfo=UTC)
    cost = summarize(changes, "i-1", now, UTC).today
    assert cost.amount == 0.0
    assert cost.unpriced_hours == pytest.approx(5.0)
    assert not cost.complete


def test_other_vms_do_not_leak_into_a_summary() -> None:
    changes = [
        change(datetime(2026, 5, 1, 0, tzinfo=UTC), VmState.RUNNING),
        change(datetime(2026, 5, 1, 0, tzinfo=UTC), VmState.RUNNING, vm="i-2"),
    ]
    summary = summarize(changes, "i-1", datetime(2026, 5, 1, 2, tzinfo=UTC), UTC)
    assert summary.today.amount == pytest.approx(2.0)


def test_spend_line_says_what_a_stopped_vm_still_costs() -> None:
    stopped = [change(datetime(2026, 5, 1, 0, tzinfo=UTC), VmState.STOPPED)]
    summary = summarize(stopped, "i-1", datetime(2026, 5, 1, 10, tzinfo=UTC), UTC)
    assert spend_line(summary) == (
        "Stopped, still costs $2.40/day (disks, IP) · today $1.00 (estimate)"
    )
    running = [change(datetime(2026, 5, 1, 9, tzinfo=UTC), VmState.RUNNING)]
    summary = summarize(running, "i-1", datetime(2026, 5, 1, 10, tzinfo=UTC), UTC)
    assert spend_line(summary) == (
        "$1.00/h · today $1.00 (estimate since 09:00, when devtray began recording)"
    )
    starting = [*stopped, change(datetime(2026, 5, 1, 9, 58, tzinfo=UTC), VmState.STARTING)]
    summary = summarize(starting, "i-1", datetime(2026, 5, 1, 10, tzinfo=UTC), UTC)
    assert spend_line(summary).startswith("Starting, costs $2.40/day (disks, IP) · today")
    assert spend_line(summarize([], "i-1", datetime(2026, 5, 1, tzinfo=UTC), UTC)) == (
        "Cost unknown (no record yet)"
    )


def test_money_formats() -> None:
    assert format_money(0.0912, hourly=True) == "$0.0912"
    assert format_money(1234.5) == "$1,234.50"
    assert format_money(3.5, "EUR") == "3.50 EUR"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        change(datetime(2026, 5, 1), VmState.RUNNING)
