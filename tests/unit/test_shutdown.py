"""Next stop of a shutdown schedule and the words for it, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from desktop.core.model import AutoStop
from desktop.core.shutdown import describe_auto_stop, next_stop, time_left

BERLIN = ZoneInfo("Europe/Berlin")


def test_later_today_in_the_schedules_zone() -> None:
    now = datetime(2026, 11, 23, 15, 50, tzinfo=UTC)  # 16:50 in Berlin

    assert next_stop(time(19, 0), BERLIN, now) == datetime(2026, 11, 23, 19, 0, tzinfo=BERLIN)


def test_after_the_time_it_is_tomorrow() -> None:
    now = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # 19:30 in Berlin

    assert next_stop(time(19, 0), BERLIN, now) == datetime(2026, 11, 24, 19, 0, tzinfo=BERLIN)


def test_weekdays_skip_the_weekend() -> None:
    friday_night = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)

    stop = next_stop(time(19, 0), BERLIN, friday_night, weekdays=[0, 1, 2, 3, 4])

    assert stop == datetime(2026, 11, 30, 19, 0, tzinfo=BERLIN)  # Monday
    assert next_stop(time(19, 0), BERLIN, friday_night, weekdays=[]) is None


def test_across_the_daylight_saving_change_the_wall_time_holds() -> None:
    saturday = datetime(2026, 3, 28, 19, 0, tzinfo=UTC)  # clocks go forward that night

    stop = next_stop(time(19, 0), BERLIN, saturday)

    assert stop is not None
    assert stop.astimezone(UTC) == datetime(2026, 3, 29, 17, 0, tzinfo=UTC)  # 19:00 CEST


def test_describe_says_when_and_how_long() -> None:
    stop = AutoStop(at=datetime(2026, 11, 23, 19, 0, tzinfo=BERLIN), time_zone="W. Europe")
    now = datetime(2026, 11, 23, 15, 50, tzinfo=UTC)

    assert describe_auto_stop(stop, now, BERLIN) == "stops at 19:00 (in 2 h 10 min)"
    assert describe_auto_stop(stop, now, ZoneInfo("Europe/London")) == (
        "stops at 18:00 (in 2 h 10 min)"
    )
    tomorrow = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    assert describe_auto_stop(stop, tomorrow, BERLIN) == "stops at Mon 19:00 (in 1 d 3 h)"
    assert describe_auto_stop(stop, datetime(2026, 11, 23, 19, 0, tzinfo=UTC), BERLIN) == (
        "stops at 19:00 (now)"
    )


def test_time_left_rounds_up_to_the_minute() -> None:
    assert [time_left(s) for s in (1, 59, 60, 61, 3600, 7800, 90000)] == [
        "1 min",
        "1 min",
        "1 min",
        "2 min",
        "1 h",
        "2 h 10 min",
        "1 d 1 h",
    ]
