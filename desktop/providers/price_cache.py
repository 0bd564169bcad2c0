"""Cached list prices, shared by the clouds' price books.

Order of preference: a fresh on-disk cache entry, the cloud's price API, a stale cache entry,
then a built-in table value. Every answer carries where it came from and how old it is. A
failing price API (offline, not allowed, answering nonsense) is remembered for the session and
falls through to the next source: a price is a nicety and never breaks `status`.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from desktop.core import errors
from desktop.core.files import write_json_object

log = logging.getLogger(__name__)

CACHE_MAX_AGE = timedelta(days=7)


class PriceSource(enum.StrEnum):
    """Where a price came from."""

    API = "pricing-api"
    CACHE = "cache"
    TABLE = "offline-table"
    SPOT = "spot-market"


@dataclass(frozen=True)
class Quote:
    """A price with its provenance: `fetched_at` is when it was read from the cloud."""

    value: float
    source: PriceSource
    fetched_at: datetime | None = None
    origin: str = "the AWS Pricing API"

    def age(self, now: datetime) -> timedelta | None:
        """How old the figure is, when known."""
        return None if self.fetched_at is None else now - self.fetched_at

    def describe(self, now: datetime) -> str:
        """`from the AWS Pricing API, 3 h old` or `from devtray's offline price table`."""
        if self.source is PriceSource.TABLE:
            return "from devtray's offline price table"
        age = self.age(now)
        hours = 0 if age is None else int(age.total_seconds() // 3600)
        when = (
            "just now"
            if hours < 1
            else f"{hours} h old"
            if hours < 48
            else f"{hours // 24} days old"
        )
        return f"from {self.origin}, {when}"


class QuoteCache:
    """Prices by key in one JSON file, with the source order described above."""

    def __init__(
        self,
        path: Path,
        origin: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_age: timedelta = CACHE_MAX_AGE,
    ) -> None:
        self.path = path
        self.origin = origin
        self._clock = clock
        self.max_age = max_age
        self._api_broken: str | None = None
        self._unsaid = False  # a failure not yet reported in the log

    def quote(
        self, key: str, fetch: Callable[[], float | None], table_value: float | None = None
    ) -> Quote | None:
        """The price under `key`: cached, fetched, stale, from the table, or None."""
        now = self._clock()
        cached = self._read().get(key)
        if cached is not None and now - cached.at_utc() <= self.max_age:
            return self._quote(cached, PriceSource.CACHE)
        fetched = self._fetch(fetch)
        if fetched is not None:
            self._write(key, fetched, now)
            return Quote(fetched, PriceSource.API, now, self.origin)
        if cached is not None:
            quote: Quote | None = self._quote(cached, PriceSource.CACHE)
            instead = f"using prices saved on {cached.at_utc():%d %b %Y}"
        elif table_value is not None:
            quote = Quote(float(table_value), PriceSource.TABLE, None, self.origin)
            instead = "using the built-in prices"
        else:
            quote, instead = None, "no price known"
        if self._unsaid:
            # Once a session, in one line: never the service's own page or a traceback.
            self._unsaid = False
            origin = self.origin.removeprefix("the ")
            log.warning("%s unavailable (%s); %s", origin, self._api_broken, instead)
        return quote

    def _quote(self, entry: _CacheEntry, source: PriceSource) -> Quote:
        return Quote(entry.value, source, entry.at_utc(), self.origin)

    def _fetch(self, fetch: Callable[[], float | None]) -> float | None:
        if self._api_broken is not None:
            return None
        try:
            return fetch()
        except errors.ServiceUnavailable as exc:
            self._api_broken = exc.reason
        except errors.DevtrayError as exc:
            # Offline, throttled or not allowed: remember for this session, use what we have.
            self._api_broken = exc.message.rstrip(".")
        except Exception:
            self._api_broken = "unexpected answer"
            # The details go to the log file (INFO), not to a terminal running the CLI.
            log.info("%s answered unexpectedly", self.origin, exc_info=True)
        self._unsaid = True
        return None

    def _read(self) -> dict[str, _CacheEntry]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return {
                key: _CacheEntry(float(entry["value"]), datetime.fromisoformat(entry["at"]))
                for key, entry in data.items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def _write(self, key: str, value: float, now: datetime) -> None:
        entries = self._read()
        entries[key] = _CacheEntry(value, now)
        data = {k: {"value": e.value, "at": e.at.isoformat()} for k, e in entries.items()}
        try:
            write_json_object(self.path, data)
        except OSError as exc:
            log.warning("could not write the price cache %s: %s", self.path, exc)


@dataclass(frozen=True)
class _CacheEntry:
    value: float
    at: datetime

    def at_utc(self) -> datetime:
        return self.at if self.at.tzinfo else self.at.replace(tzinfo=UTC)
