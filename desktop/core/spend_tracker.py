"""Keeps the spend record up to date from fresh snapshots and answers "what does it cost".

The CLI's `status` and the tray's poller hand it each snapshot they get; it prices the VM
(through the provider's optional `CostSource` part, cached for an hour so polling stays cheap),
records a change when there is one, and summarises the record. Where the provider can read its
bill (the optional `BilledSource` part), the summary also carries the billed month, kept apart
from the estimates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo

from desktop.core.billed import BilledSource, BilledUnavailable, billed_month
from desktop.core.cost import CostSource, HourlyRates
from desktop.core.errors import DevtrayError
from desktop.core.localtime import local_zone
from desktop.core.model import VmSnapshot
from desktop.core.provider import Provider
from desktop.core.spend import SpendSummary, summarize
from desktop.core.spend_record import SpendRecord

log = logging.getLogger(__name__)

RATES_MAX_AGE = timedelta(hours=1)
UNKNOWN_RATES = HourlyRates(running=None, stopped=None)


@dataclass(frozen=True)
class _PricedAt:
    key: tuple[str, str, bool, bool]
    rates: HourlyRates
    at: datetime


class SpendTracker:
    """The record plus a short-lived cache of each VM's rates."""

    def __init__(self, record: SpendRecord, clock: Callable[[], datetime], tz: tzinfo) -> None:
        self.record = record
        self._clock = clock
        self.tz = tz
        self._rates: dict[str, _PricedAt] = {}

    @classmethod
    def on_this_machine(cls) -> SpendTracker:
        """The tracker over the user's own record, with the system clock and local zone."""
        return cls(SpendRecord(), lambda: datetime.now(UTC), local_zone())

    def rates_for(self, provider: Provider, vm: VmSnapshot) -> HourlyRates:
        """The VM's rates: cached while its size and address stay the same, else re-priced."""
        now = self._clock()
        key = (vm.size, vm.platform, vm.addresses.public_ip is not None, vm.spot)
        cached = self._rates.get(vm.id)
        if cached is not None and cached.key == key and now - cached.at < RATES_MAX_AGE:
            return cached.rates
        if not isinstance(provider, CostSource):
            return UNKNOWN_RATES
        try:
            rates = provider.price_sheet(vm).rates()
        except DevtrayError as exc:
            # Prices are a nicety: a failed look-up shows "cost unknown", never an error.
            log.warning("could not price %s: %s", vm.id, exc)
            rates = cached.rates if cached is not None else UNKNOWN_RATES
        self._rates[vm.id] = _PricedAt(key, rates, now)
        return rates

    def observe(self, provider: Provider, vm: VmSnapshot) -> SpendSummary:
        """Record the snapshot (if it shows a change) and summarise the VM's spend."""
        now = self._clock()
        self.record.observe(vm, self.rates_for(provider, vm), now)
        summary = summarize(self.record.changes(vm.id), vm.id, now, self.tz)
        return self.with_billed(summary, provider, vm, now)

    def with_billed(
        self, summary: SpendSummary, provider: Provider, vm: VmSnapshot, now: datetime
    ) -> SpendSummary:
        """The summary with the cloud's billed month (or why there is none), when it has one."""
        if not isinstance(provider, BilledSource):
            return summary
        try:
            answer = provider.billed_costs(vm)
        except DevtrayError as exc:
            # A bill is a nicety like a price: its failures never break `status`.
            log.warning("could not read the bill for %s: %s", vm.id, exc)
            return replace(summary, billed_note=f"billed figures unavailable: {exc.message}")
        if isinstance(answer, BilledUnavailable):
            return replace(summary, billed_note=answer.describe())
        month = billed_month(answer, self.record.changes(), now, self.tz)
        if month is None:
            note = f"nothing billed this month yet ({answer.source} lags about a day)"
            return replace(summary, billed_note=note)
        return replace(summary, billed=month)
