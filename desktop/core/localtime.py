"""The local time zone as a real zone (with its DST rules), not just today's UTC offset."""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_LOCALTIME = Path("/etc/localtime")


def local_zone() -> tzinfo:
    """`$TZ` or the zone /etc/localtime points at; today's fixed offset as a last resort.

    A fixed offset would put "midnight" an hour off for half of a month that crosses a
    daylight-saving change, so a named zone is preferred wherever one can be found.
    """
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(_LOCALTIME.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    fallback = datetime.now().astimezone().tzinfo
    assert fallback is not None  # astimezone() always attaches a zone
    return fallback
