"""AWS's own bill for my VMs: Cost Explorer's daily cost of what my owner tag marks.

One GetCostAndUsage request (DAILY, UnblendedCost) covers this month and the last 30 days,
filtered by the owner tag (a *cost allocation tag*, which someone must activate in Billing
before Cost Explorer knows it) and by the services a VM bills under: EC2 compute, "EC2 - Other"
(its EBS volumes and snapshots) and VPC (public IPv4). Cost Explorer has no per-instance figure
without the opt-in resource-level data (GetCostAndUsageWithResources, 14 days only), so the
figure covers everything the owner's tag marks: `BilledScope.OWNER`, with the owner's VMs.

Cost Explorer charges $0.01 per request, so this is the caching policy, on disk and shared by
the tray and the CLI:
- an answer is reused for the rest of the UTC day it was fetched on (at most 24 h): the billed
  days only move when the date does, so one request a day per owner is enough;
- "no permission", "no data" and "tag not active" answers are also reused for the day;
- offline, throttled or signed-out failures are not cached on disk, but remembered for the
  process (no second try), and an older answer is used meanwhile;
- whatever the cache says, at most `MAX_REQUESTS_PER_DAY` requests (pages included) go out in
  any 24 h, counted in the same file: a broken cache cannot run up a bill.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import platformdirs

from desktop.core import errors
from desktop.core.billed import BilledAnswer, BilledCosts, BilledDay, BilledScope, BilledUnavailable
from desktop.core.config import APP_NAME
from desktop.core.files import read_json_object, write_json_object
from desktop.providers.aws.calls import AwsCalls

log = logging.getLogger(__name__)

# Cost Explorer has one endpoint, in us-east-1, whatever the VMs' region.
CE_REGION = "us-east-1"
SOURCE = "AWS Cost Explorer"
# Cost Explorer's SERVICE names for what a VM bills: the instance, its disks, its public IPv4.
VM_SERVICES = (
    "Amazon Elastic Compute Cloud - Compute",
    "EC2 - Other",
    "Amazon Virtual Private Cloud",
)
METRIC = "UnblendedCost"
WINDOW_DAYS = 30
# A UTC day is counted as billed once a whole day has passed after it (the data lags ~24 h).
SETTLED_AFTER_DAYS = 2
MAX_REQUESTS_PER_DAY = 4
MAX_PAGES = 2  # 31 daily results fit in one page; bound the paging anyway


def default_cache_path() -> Path:
    """Where Cost Explorer answers are kept between runs."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "aws-billed.json"


def billed_window(today: date) -> tuple[date, date]:
    """The days to ask for: this month and the last 30 days, up to yesterday (end exclusive)."""
    return min(today.replace(day=1), today - timedelta(days=WINDOW_DAYS)), today


def cost_request(owner_tag: str, owner: str, start: date, end: date) -> dict[str, Any]:
    """GetCostAndUsage's arguments: daily cost of the VM services tagged `owner_tag=owner`."""
    return {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": [METRIC],
        "Filter": {
            "And": [
                {"Tags": {"Key": owner_tag, "Values": [owner], "MatchOptions": ["EQUALS"]}},
                {
                    "Dimensions": {
                        "Key": "SERVICE",
                        "Values": list(VM_SERVICES),
                        "MatchOptions": ["EQUALS"],
                    }
                },
            ]
        },
    }


def parse_days(results: Iterable[Mapping[str, Any]]) -> tuple[list[BilledDay], str]:
    """Each day's cost from ResultsByTime (Total, or the sum of Groups), and the currency."""
    days = []
    currency = "USD"
    for result in results:
        day = date.fromisoformat(str(result["TimePeriod"]["Start"]))
        metrics = [result.get("Total", {}).get(METRIC)]
        metrics += [group.get("Metrics", {}).get(METRIC) for group in result.get("Groups", [])]
        amount = 0.0
        for metric in metrics:
            if metric:
                amount += float(metric["Amount"])
                currency = str(metric.get("Unit") or currency)
        days.append(BilledDay(day, amount))
    return days, currency


@dataclass(frozen=True)
class _Answer:
    """One cached answer: billed days, or why there are none."""

    fetched_at: datetime
    through: date | None = None
    days: tuple[BilledDay, ...] = ()
    currency: str = "USD"
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.fetched_at.isoformat(),
            "through": self.through.isoformat() if self.through else None,
            "days": [[d.day.isoformat(), d.amount] for d in self.days],
            "currency": self.currency,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Answer:
        through = data.get("through")
        return cls(
            fetched_at=datetime.fromisoformat(str(data["at"])),
            through=date.fromisoformat(str(through)) if through else None,
            days=tuple(BilledDay(date.fromisoformat(str(d)), float(a)) for d, a in data["days"]),
            currency=str(data.get("currency") or "USD"),
            reason=data.get("reason"),
        )


class CostExplorerBills:
    """Billed figures for one AWS account's owners, with the caching policy above."""

    def __init__(
        self,
        ce: Callable[[], Any],
        calls: AwsCalls,
        *,
        cache_path: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._ce_factory = ce
        self._ce: Any = None
        self.calls = calls
        self.cache_path = cache_path or default_cache_path()
        self._clock = clock
        self._broken: str | None = None  # a transient failure, remembered for the process

    def for_owner(self, owner_tag: str, owner: str, vm_ids: Iterable[str]) -> BilledAnswer:
        """The bill of everything tagged `owner_tag=owner`, completed by the VMs `vm_ids`."""
        now = self._clock()
        key = f"{owner_tag}={owner}"
        cached = self._read_answers().get(key)
        answer = cached if cached is not None and self._fresh(cached, now) else None
        if answer is None:
            answer = self._fetch(key, owner_tag, owner, now) or cached
        if answer is None:
            return BilledUnavailable(SOURCE, self._broken or "no answer yet")
        if answer.reason is not None or answer.through is None:
            return BilledUnavailable(SOURCE, answer.reason or "no billed days yet")
        return BilledCosts(
            source=SOURCE,
            scope=BilledScope.OWNER,
            scope_label=f"EC2 and VPC costs tagged {owner_tag}={owner}",
            vm_ids=frozenset(vm_ids),
            through=answer.through,
            days=answer.days,
            currency=answer.currency,
            fetched_at=answer.fetched_at,
        )

    @staticmethod
    def _fresh(answer: _Answer, now: datetime) -> bool:
        # Fetched on the same UTC day: that alone keeps an answer under 24 h old.
        return answer.fetched_at.astimezone(UTC).date() == now.astimezone(UTC).date()

    # -- asking Cost Explorer ---------------------------------------------------------------

    def _fetch(self, key: str, owner_tag: str, owner: str, now: datetime) -> _Answer | None:
        """A new answer (also saved), or None when none could be had now."""
        if self._broken is not None:
            return None
        today = now.astimezone(UTC).date()
        start, end = billed_window(today)
        try:
            results = self._results(cost_request(owner_tag, owner, start, end), now)
        except _OverBudget:
            self._broken = (
                f"Cost Explorer was asked {MAX_REQUESTS_PER_DAY} times in 24 h "
                "(each request costs $0.01); asking again later"
            )
            log.info("%s", self._broken)
            return None
        except errors.PermissionDenied:
            answer = _Answer(
                now, reason="no permission ce:GetCostAndUsage (ask your AWS administrator)"
            )
        except errors.DevtrayError as exc:
            # Offline, throttled, signed out: try again in the next process, not now.
            self._broken = exc.message.rstrip(".")  # the note is a clause, ended by its reader
            log.info("%s unavailable: %s", SOURCE, exc)
            return None
        except Exception:
            # A bill is a nicety: an odd answer (or a missing service model in a frozen
            # build) is logged and never breaks `status`.
            self._broken = "Cost Explorer could not be read (details in the log)"
            log.warning("%s could not be read", SOURCE, exc_info=True)
            return None
        else:
            answer = self._answer(results, owner_tag, today, now)
        self._save(key, answer)
        return answer

    def _answer(
        self, results: list[Mapping[str, Any]] | None, owner_tag: str, today: date, now: datetime
    ) -> _Answer:
        if results is None:
            return _Answer(
                now,
                reason="Cost Explorer has no data for this account yet "
                "(enable it in Billing; data appears within 24 h)",
            )
        days, currency = parse_days(results)
        if not any(day.amount for day in days):
            return _Answer(
                now,
                reason=f"no costs carry the tag {owner_tag}: activate the cost allocation tag "
                f"'{owner_tag}' in Billing (it applies within 24 h)",
            )
        through = today - timedelta(days=SETTLED_AFTER_DAYS)
        settled = tuple(day for day in days if day.day <= through)
        return _Answer(now, through=through, days=settled, currency=currency)

    def _results(self, request: dict[str, Any], now: datetime) -> list[Mapping[str, Any]] | None:
        """Every page's ResultsByTime; None when Cost Explorer says it has no data."""
        if self._ce is None:
            self._ce = self._ce_factory()
        results: list[Mapping[str, Any]] = []
        token: str | None = None
        for _page in range(MAX_PAGES):
            self._spend_request(now)
            kwargs = {**request, **({"NextPageToken": token} if token else {})}
            page = self.calls.call("read your bill from Cost Explorer", self._ask, **kwargs)
            if page is None:
                return None
            results.extend(page.get("ResultsByTime", []))
            token = page.get("NextPageToken")
            if not token:
                break
        return results

    def _ask(self, **kwargs: Any) -> Mapping[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            answer: Mapping[str, Any] = self._ce.get_cost_and_usage(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "DataUnavailableException":
                return None
            raise
        return answer

    # -- the cache file: answers by owner, and the requests of the last 24 h ----------------

    def _spend_request(self, now: datetime) -> None:
        data = self._read()
        recent = [t for t in _times(data.get("requests")) if now - t < timedelta(days=1)]
        if len(recent) >= MAX_REQUESTS_PER_DAY:
            raise _OverBudget
        data["requests"] = [t.isoformat() for t in [*recent, now]]
        self._write(data)

    def _save(self, key: str, answer: _Answer) -> None:
        data = self._read()
        answers = data.get("answers")
        data["answers"] = {**(answers if isinstance(answers, dict) else {}), key: answer.to_json()}
        self._write(data)

    def _read_answers(self) -> dict[str, _Answer]:
        answers = self._read().get("answers")
        found = {}
        for key, entry in (answers if isinstance(answers, dict) else {}).items():
            try:
                found[key] = _Answer.from_json(entry)
            except (KeyError, TypeError, ValueError):
                continue
        return found

    def _read(self) -> dict[str, Any]:
        return read_json_object(self.cache_path)

    def _write(self, data: dict[str, Any]) -> None:
        try:
            write_json_object(self.cache_path, data)
        except OSError as exc:
            log.warning("could not write the billing cache %s: %s", self.cache_path, exc)


class _OverBudget(Exception):
    """The day's Cost Explorer requests are used up."""


def _times(values: object) -> list[datetime]:
    found = []
    for value in values if isinstance(values, list) else []:
        try:
            when = datetime.fromisoformat(str(value))
        except ValueError:
            continue
        if when.tzinfo is not None:
            found.append(when)
    return found
