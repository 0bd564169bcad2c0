"""DevTest Labs schedules (SDK models) read into AutoStop; owners matched from token claims."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from azure.mgmt.devtestlabs.models import DayDetails, NotificationSettings, Schedule, WeekDetails

from desktop.core.errors import AuthExpired
from desktop.providers.azure.identity import Me, token_claims
from desktop.providers.azure.schedule import auto_stop_from, schedule_time, zone_named
from tests.arm_emulator import fake_jwt

NOW = datetime(2026, 11, 23, 15, 50, tzinfo=UTC)
LAB_SCHEDULE = "/subscriptions/s/resourcegroups/rg/providers/microsoft.devtestlab/labs/lab"


def schedule(**overrides: object) -> Schedule:
    values: dict[str, object] = {
        "status": "Enabled",
        "task_type": "LabVmsShutdownTask",
        "daily_recurrence": DayDetails(time="1900"),
        "time_zone_id": "W. Europe Standard Time",
        "notification_settings": NotificationSettings(status="Enabled", time_in_minutes=30),
    }
    values.update(overrides)
    model = Schedule(**values)  # type: ignore[arg-type]
    model.id = f"{LAB_SCHEDULE}/schedules/LabVmsShutdown"  # read-only on the model
    return model


def test_the_lab_schedule_gives_the_next_stop_in_its_zone() -> None:
    stop = auto_stop_from(schedule(), NOW)

    assert stop is not None
    assert stop.at == datetime(2026, 11, 23, 19, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert (stop.time_zone, stop.notify_minutes, stop.scope) == (
        "W. Europe Standard Time",
        30,
        "lab",
    )


def test_a_disabled_or_unreadable_schedule_is_no_stop() -> None:
    assert auto_stop_from(schedule(status="Disabled"), NOW) is None
    assert auto_stop_from(schedule(time_zone_id="Mars Standard Time"), NOW) is None
    assert auto_stop_from(schedule(daily_recurrence=DayDetails(time="7pm")), NOW) is None
    assert auto_stop_from(None, NOW) is None


def test_a_weekly_schedule_honours_its_days() -> None:
    weekly = schedule(
        daily_recurrence=None,
        weekly_recurrence=WeekDetails(weekdays=["Friday"], time="1700"),
        notification_settings=NotificationSettings(status="Disabled", time_in_minutes=30),
    )

    stop = auto_stop_from(weekly, NOW)  # a Monday

    assert stop is not None
    assert stop.at.weekday() == 4 and stop.at.hour == 17
    assert stop.notify_minutes is None


def test_zones_by_windows_id_or_iana_name() -> None:
    assert zone_named("Pacific Standard Time") == ZoneInfo("America/Los_Angeles")
    assert zone_named("Europe/Paris") == ZoneInfo("Europe/Paris")
    assert zone_named("Nowhere") is None
    assert (schedule_time("0730"), schedule_time("19:05"), schedule_time("2460")) == (
        datetime(1, 1, 1, 7, 30).time(),
        datetime(1, 1, 1, 19, 5).time(),
        None,
    )


def test_owner_by_object_id_else_by_upn() -> None:
    me = Me.from_claims(token_claims(fake_jwt({"oid": "ABC", "upn": "Alice@Contoso.com"})))

    assert me.owns("abc", "")
    assert not me.owns("def", "alice@contoso.com")  # a different object id is someone else
    assert me.owns("", "alice@contoso.com")
    assert not me.owns("", "")
    assert str(me) == "Alice@Contoso.com"


def test_a_token_that_is_not_a_jwt_asks_to_sign_in() -> None:
    with pytest.raises(AuthExpired, match="does not say who you are"):
        token_claims("opaque-token")
