"""A lab VM's billed month from the DevTest Labs costs API (`labs/{lab}/costs/targetCost`).

The lab's cost report (`Costs_Get` with `$expand=properties($expand=labCostDetails,
resourceCosts)`) lists, per lab resource, the cost of the current month so far
(`resourceCosts[].resourceCost`), and per day the lab's cost with its kind (`labCostDetails`:
`Reported` for days Azure has billed, `Projected` for the rest of the month). The VM's entry is
its month-to-date figure, complete through the last reported day.

One report covers the whole lab, so it is read once per lab and kept for an hour (it changes
about once a day). Failures a person can do nothing about right now (no permission to read the
lab's costs, no report yet, offline) are a `BilledUnavailable`, never an error: a bill is a
nicety on top of devtray's estimates.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from desktop.core import errors
from desktop.core.billed import BilledAnswer, BilledCosts, BilledScope, BilledUnavailable
from desktop.core.config import AzureLab
from desktop.providers.azure.calls import AzureCalls

log = logging.getLogger(__name__)

SOURCE = "Azure DevTest Labs costs"
COST_NAME = "targetCost"
EXPAND = "properties($expand=labCostDetails,resourceCosts)"
COSTS_TTL = 3600.0


class LabCosts:
    """The billed month of lab VMs, one cost report per lab, cached."""

    def __init__(
        self,
        calls: AzureCalls,
        client_for: Callable[[AzureLab], Any],
        clock: Callable[[], datetime],
        ttl: float = COSTS_TTL,
    ) -> None:
        self.calls = calls
        self._client_for = client_for
        self._clock = clock
        self._ttl = ttl
        # lab -> (monotonic time read, the report or why there is none, wall time read)
        self._reports: dict[str, tuple[float, Any, datetime]] = {}
        self._lock = threading.Lock()

    def billed(self, lab: AzureLab, vm: str, vm_id: str) -> BilledAnswer:
        """What the lab's cost report says this VM cost this month, or why it says nothing."""
        report, fetched_at = self._report(lab)
        if isinstance(report, BilledUnavailable):
            return report
        entry = _entry_for(report.resource_costs or [], vm)
        if entry is None or entry.resource_cost is None:
            return BilledUnavailable(SOURCE, f"lab {lab.name}'s cost report has no {vm} yet")
        return BilledCosts(
            source=SOURCE,
            scope=BilledScope.VM,
            scope_label=f"{vm} in lab {lab.name}",
            vm_ids=frozenset({vm_id}),
            through=self._through(report),
            month_amount=float(entry.resource_cost),
            currency=str(report.currency_code or "USD"),
            fetched_at=fetched_at,
        )

    def _report(self, lab: AzureLab) -> tuple[Any, datetime]:
        with self._lock:
            cached = self._reports.get(lab.name)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1], cached[2]
        fetched_at = self._clock()
        try:
            report: Any = self.calls.call(
                f"read the costs of lab {lab.name}",
                self._client_for(lab).costs.get,
                lab.resource_group,
                lab.name,
                COST_NAME,
                expand=EXPAND,
            )
        except errors.PermissionDenied:
            report = BilledUnavailable(
                SOURCE, f"your role on lab {lab.name} may not read its costs (ask its owner)"
            )
        except errors.NotFound:
            report = BilledUnavailable(SOURCE, f"lab {lab.name} has no cost report yet")
        except errors.DevtrayError as exc:
            log.warning("could not read the costs of lab %s: %s", lab.name, exc)
            return BilledUnavailable(SOURCE, exc.message), fetched_at  # not cached: may work soon
        with self._lock:
            self._reports[lab.name] = (time.monotonic(), report, fetched_at)
        return report, fetched_at

    def _through(self, report: Any) -> date:
        """The last day Azure reported (billed); yesterday when the report does not say."""
        reported = [
            _utc_day(detail.date)
            for detail in report.lab_cost_details or []
            if str(detail.cost_type or "").casefold() == "reported" and detail.date is not None
        ]
        yesterday = _utc_day(self._clock()) - timedelta(days=1)
        return max(reported) if reported else yesterday


def _entry_for(costs: list[Any], vm: str) -> Any | None:
    """The report's entry for the lab VM `vm` (by its lab resource id, else its name)."""
    suffix = f"/virtualmachines/{vm}".casefold()
    for entry in costs:
        if str(entry.resource_id or "").casefold().endswith(suffix):
            return entry
    for entry in costs:
        if str(entry.resourcename or "").casefold() == vm.casefold():
            return entry
    return None


def _utc_day(when: datetime) -> date:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).date()
