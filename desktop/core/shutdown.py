"""Cloud-side shutdown schedules: when one stops a VM next, and how to say so to a person.

Pure functions with the clock passed in, so daylight-saving changes and week ends are testable.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta, tzinfo

from desktop.core.model import AutoStop
from desktop.core.text import QT_TRANSLATE_NOOP, Clock, Text

_STOPS_NOW = QT_TRANSLATE_NOOP("shutdown", "stops at {when} (now)")
_STOPS_IN = QT_TRANSLATE_NOOP("shutdown", "stops at {when} (in {left})")
_MINUTES = QT_TRANSLATE_NOOP("shutdown", "{m} min")
_HOURS = QT_TRANSLATE_NOOP("shutdown", "{h} h")
_HOURS_MINUTES = QT_TRANSLATE_NOOP("shutdown", "{h} h {m} min")
_DAYS = QT_TRANSLATE_NOOP("shutdown", "{d} d")
_DAYS_HOURS = QT_TRANSLATE_NOOP("shutdown", "{d} d {h} h")


def next_stop(
    at: time, zone: tzinfo, now: datetime, weekdays: Collection[int] | None = None
) -> datetime | None:
    """The first moment after `now` that is `at` o'clock in `zone` on one of `weekdays`.

    `weekdays` counts from 0 = Monday; None means every day. An empty collection never fires.
    """
    local_now = now.astimezone(zone)
    for days_ahead in range(8):
        day = local_now.date() + timedelta(days=days_ahead)
        if weekdays is not None and day.weekday() not in weekdays:
            continue
        candidate = datetime.combine(day, at, tzinfo=zone)
        # Round-trip through UTC so a wall time skipped by a DST change lands on a real instant.
        candidate = candidate.astimezone(zone)
        if candidate > local_now:
            return candidate
    return None


def auto_stop_text(stop: AutoStop, now: datetime, local_zone: tzinfo | None = None) -> Text:
    """`stops at 19:00 (in 2 h 10 min)` in the laptop's time; the weekday when it is not today."""
    local = stop.at.astimezone(local_zone)
    today = now.astimezone(local_zone).date()
    when = Clock(local, weekday=local.date() != today)
    left = (stop.at - now).total_seconds()
    if left <= 0:
        return _STOPS_NOW(when=when)
    return _STOPS_IN(when=when, left=time_left_text(left))


def describe_auto_stop(stop: AutoStop, now: datetime, local_zone: tzinfo | None = None) -> str:
    """`stops at 19:00 (in 2 h 10 min)` in English."""
    return str(auto_stop_text(stop, now, local_zone))


def time_left_text(seconds: float) -> Text:
    """`45 min`, `2 h 10 min`, `1 d 3 h` (rounded up to the minute, never `0 min`)."""
    minutes = max(1, int(-(-seconds // 60)))
    if minutes < 60:
        return _MINUTES(m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _HOURS_MINUTES(h=hours, m=minutes) if minutes else _HOURS(h=hours)
    days, hours = divmod(hours, 24)
    return _DAYS_HOURS(d=days, h=hours) if hours else _DAYS(d=days)


def time_left(seconds: float) -> str:
    """`45 min`, `2 h 10 min`, `1 d 3 h` in English."""
    return str(time_left_text(seconds))
