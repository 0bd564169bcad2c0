"""Spot notices as the laptop reads them from the VM (untrusted input) and their countdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desktop.core.spot import NoticeKind, SpotNotice, countdown, notice_from_agent

AT = datetime(2026, 12, 4, 14, 32, tzinfo=UTC)


def test_an_interruption_notice_has_its_deadline() -> None:
    notice = notice_from_agent(
        {"kind": "interruption", "action": "stop", "at": AT.timestamp(), "noticed_at": 1.0}
    )
    assert notice == SpotNotice(
        NoticeKind.INTERRUPTION, AT, datetime.fromtimestamp(1.0, UTC), "stop"
    )
    assert notice.interruption_at == AT


def test_a_rebalance_notice_has_no_deadline() -> None:
    notice = notice_from_agent({"kind": "rebalance", "action": None, "at": AT.timestamp()})
    assert notice is not None and notice.kind is NoticeKind.REBALANCE
    assert notice.interruption_at is None


@pytest.mark.parametrize(
    "data",
    [None, "interruption", [], {}, {"kind": "reboot"}, {"kind": 3}],
)
def test_anything_else_is_no_notice(data: object) -> None:
    assert notice_from_agent(data) is None


@pytest.mark.parametrize("at", ["soon", True, 1e300, None])
def test_an_unreadable_time_is_unknown_not_a_crash(at: object) -> None:
    notice = notice_from_agent({"kind": "interruption", "at": at, "action": 7})
    assert notice is not None and notice.at is None and notice.action is None


def test_countdown() -> None:
    assert countdown(AT, AT - timedelta(seconds=110)) == "1 min 50 s"
    assert countdown(AT, AT - timedelta(seconds=45)) == "45 s"
    assert countdown(AT, AT + timedelta(seconds=5)) == "0 s"
