"""DevTest Labs shutdown schedules (`LabVmsShutdown`) read into the core's AutoStop."""

from __future__ import annotations

import logging
import re
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop.core.model import AutoStop
from desktop.core.shutdown import next_stop

log = logging.getLogger(__name__)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(\d{1,2}):?(\d{2})$")


def zone_named(name: str) -> ZoneInfo | None:
    """The zone for a Windows time zone id ("W. Europe Standard Time") or an IANA name."""
    from tzlocal.windows_tz import win_tz

    for candidate in (win_tz.get(name), name):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return None


def schedule_time(text: str | None) -> time | None:
    """`"1900"` or `"19:00"` as a time of day; None when it is neither."""
    match = _TIME.match((text or "").strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def auto_stop_from(schedule: Any, now: datetime) -> AutoStop | None:
    """The next stop a `Schedule` model will carry out, or None when it is off or unreadable.

    Shutdown schedules recur daily; a weekly recurrence is honoured when there is no daily one.
    """
    if schedule is None or str(schedule.status or "").casefold() != "enabled":
        return None
    zone_id = schedule.time_zone_id or "UTC"
    zone = zone_named(zone_id)
    if zone is None:
        log.warning("unknown time zone %r in schedule %s", zone_id, schedule.id)
        return None
    weekdays: list[int] | None = None
    recurrence = schedule.daily_recurrence
    if recurrence is None or recurrence.time is None:
        recurrence = schedule.weekly_recurrence
        if recurrence is None:
            return None
        names = [str(day).casefold() for day in recurrence.weekdays or []]
        weekdays = [_WEEKDAYS.index(day) for day in names if day in _WEEKDAYS]
    at = schedule_time(recurrence.time)
    if at is None:
        log.warning("unreadable time %r in schedule %s", recurrence.time, schedule.id)
        return None
    when = next_stop(at, zone, now, weekdays)
    if when is None:
        return None
    notice = schedule.notification_settings
    notify = (
        notice.time_in_minutes
        if notice is not None and str(notice.status or "").casefold() == "enabled"
        else None
    )
    scope = "vm" if "/virtualmachines/" in str(schedule.id or "").casefold() else "lab"
    return AutoStop(at=when, time_zone=zone_id, notify_minutes=notify, scope=scope)
