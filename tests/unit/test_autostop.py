"""The auto-stop policy's decisions, driven minute by minute with a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from desktop.core.autostop import (
    Action,
    ActivitySample,
    Policy,
    PolicyState,
    StopReason,
    countdown_text,
    is_active,
)
from desktop.core.config import AutostopConfig, parse_config
from desktop.core.errors import BadConfig

TZ = ZoneInfo("Europe/Berlin")
POLICY = Policy(AutostopConfig(), TZ)
MINUTE = timedelta(minutes=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in the week of Monday 2 Nov 2026 (day 2 = Monday ... day 8 = Sunday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def between(start: datetime, end: datetime) -> Callable[[datetime], bool]:
    """Active in every minute from `start` to `end` (a tick reports the minute that ended)."""
    return lambda now: start < now <= end


@dataclass
class Run:
    """The log of a simulated stretch: every non-trivial decision, and when the VM stopped."""

    events: list[tuple[datetime, Action]] = field(default_factory=list)
    stopped_at: datetime | None = None
    state: PolicyState = field(default_factory=PolicyState)

    def times(self, action: Action) -> list[str]:
        return [f"{t:%a %H:%M}" for t, a in self.events if a is action]


def simulate(
    start: datetime,
    end: datetime,
    active: Callable[[datetime], bool],
    *,
    awake: Callable[[datetime], bool] = lambda now: True,
    policy: Policy = POLICY,
    state: PolicyState | None = None,
    on_warn: Callable[[Policy, PolicyState, datetime], PolicyState] | None = None,
) -> Run:
    run = Run(state=state or PolicyState())
    now = start
    while now < end:
        if awake(now):
            decision = policy.step(
                run.state, now, running=run.stopped_at is None, active=active(now)
            )
            run.state = decision.state
            if decision.action is not Action.NONE:
                run.events.append((now, decision.action))
            if decision.action is Action.WARN and on_warn is not None:
                run.state = on_warn(policy, run.state, now)
            if decision.action is Action.STOP:
                run.stopped_at = now
        now += MINUTE
    return run


def test_forgotten_vm_is_warned_after_an_hour_idle_then_stopped() -> None:
    run = simulate(at(2, 9), at(2, 23), between(at(2, 9), at(2, 16)))
    assert run.times(Action.WARN) == ["Mon 17:00"]
    assert run.stopped_at == at(2, 17, 15)


def test_idle_evening_stops_at_the_scheduled_time() -> None:
    # Idle from 18:10: the idle rule would only fire at 19:10, the schedule fires first.
    run = simulate(at(2, 9), at(2, 23), between(at(2, 9), at(2, 18, 10)))
    assert run.times(Action.WARN) == ["Mon 18:45"]
    assert run.stopped_at == at(2, 19, 0)
    assert run.events[0][1] is Action.WARN


def test_working_late_postpones_then_stops_once_idle() -> None:
    run = simulate(at(2, 9), at(2, 23), between(at(2, 9), at(2, 21, 30)))
    assert run.times(Action.WARN) == ["Mon 18:45", "Mon 21:45"]
    assert run.times(Action.POSTPONE) == ["Mon 19:00"]
    assert run.stopped_at == at(2, 22, 0)


def test_activity_withdraws_an_idle_warning() -> None:
    active = lambda now: now <= at(2, 10) or at(2, 11, 5) <= now <= at(2, 15)  # noqa: E731
    run = simulate(at(2, 9), at(2, 16), active)
    assert run.times(Action.WARN) == ["Mon 11:00"]
    assert run.times(Action.WITHDRAW) == ["Mon 11:05"]
    assert run.stopped_at is None


def test_snooze_moves_the_stop_and_warns_again() -> None:
    def snooze_once(policy: Policy, state: PolicyState, now: datetime) -> PolicyState:
        return policy.snooze(state, now, timedelta(minutes=30)) if now == at(2, 18, 45) else state

    run = simulate(at(2, 9), at(2, 23), between(at(2, 9), at(2, 18, 10)), on_warn=snooze_once)
    # Idle since 18:10; the end-of-day warning (18:45) is snoozed 30 min, then comes again.
    assert run.times(Action.WARN) == ["Mon 18:45", "Mon 19:00"]
    assert run.stopped_at == at(2, 19, 15)


def test_keep_running_tonight_holds_until_the_morning() -> None:
    def keep(policy: Policy, state: PolicyState, now: datetime) -> PolicyState:
        return policy.keep_running_tonight(state, now) if now.day == 2 else state

    run = simulate(at(2, 9), at(3, 9), between(at(2, 9), at(2, 18, 30)), on_warn=keep)
    assert run.times(Action.WARN)[0] == "Mon 18:45"
    assert run.stopped_at == at(3, 7, 15)  # warned at 07:00 Tuesday, nobody came


def test_laptop_asleep_over_the_stop_time_is_warned_again_on_waking() -> None:
    asleep = lambda now: at(2, 18, 50) <= now < at(2, 22)  # noqa: E731
    run = simulate(
        at(2, 9),
        at(2, 23),
        lambda now: now < at(2, 18, 30) or now >= at(2, 22),
        awake=lambda now: not asleep(now),
    )
    assert run.times(Action.WARN) == ["Mon 18:45", "Mon 22:00"]
    # The developer opened the laptop at 22:00 and works on: postponed, not stopped.
    assert run.times(Action.POSTPONE) == ["Mon 22:15"]
    assert run.stopped_at is None


def test_sleep_counts_neither_as_idle_nor_as_activity() -> None:
    asleep = lambda now: at(2, 12, 50) <= now < at(2, 14, 50)  # noqa: E731
    run = simulate(
        at(2, 9),
        at(2, 16),
        between(at(2, 9), at(2, 12)),
        awake=lambda now: not asleep(now),
    )
    # 49 idle minutes counted before the nap (the gap itself counts for nothing), 11 after it:
    # the warning comes at 15:01, not on waking.
    assert run.times(Action.WARN) == ["Mon 15:01"]
    assert run.stopped_at == at(2, 15, 16)


def test_a_vm_started_for_evening_work_is_only_stopped_when_idle() -> None:
    run = simulate(at(2, 20), at(2, 23), between(at(2, 20), at(2, 21)))
    assert run.times(Action.WARN) == ["Mon 21:15"]
    assert run.stopped_at == at(2, 21, 30)


def test_weekend_has_no_schedule_only_the_short_idle_rule() -> None:
    run = simulate(at(7, 10), at(7, 20), between(at(7, 10), at(7, 16)))
    assert run.times(Action.WARN) == ["Sat 16:15"]
    assert run.stopped_at == at(7, 16, 30)


def test_a_blocked_stop_keeps_the_vm_and_retries() -> None:
    state = PolicyState(running_since=at(2, 9), last_tick=at(2, 18, 44), idle=timedelta(hours=1))
    warn = POLICY.step(state, at(2, 18, 45), running=True, active=False)
    assert warn.action is Action.WARN
    state = warn.state
    for minute in range(46, 60):
        assert POLICY.step(state, at(2, 18, minute), running=True, active=False).action is (
            Action.NONE
        )
        state = POLICY.step(state, at(2, 18, minute), running=True, active=False).state
    stop = POLICY.step(state, at(2, 19), running=True, active=False)
    assert stop.action is Action.STOP
    blocked = POLICY.stop_blocked(stop.state, at(2, 19), "3 changes could not be synced")
    assert blocked.action is Action.NONE
    assert blocked.message == "Not stopping the VM: 3 changes could not be synced"
    assert blocked.state.blocked == "3 changes could not be synced"
    state = blocked.state
    for minute in range(1, 5):
        decision = POLICY.step(state, at(2, 19, minute), running=True, active=False)
        assert decision.action is Action.NONE
        state = decision.state
    retry = POLICY.step(state, at(2, 19, 5), running=True, active=False)
    assert retry.action is Action.STOP


def test_a_stopped_vm_withdraws_the_warning_and_resets() -> None:
    state = PolicyState(running_since=at(2, 9), last_tick=at(2, 18, 44), idle=timedelta(hours=1))
    warn = POLICY.step(state, at(2, 18, 45), running=True, active=False)
    gone = POLICY.step(warn.state, at(2, 18, 46), running=False, active=False)
    assert gone.action is Action.WITHDRAW
    assert gone.state.pending is None
    assert gone.state.running_since is None


def test_disabled_policy_never_acts() -> None:
    policy = Policy(replace(AutostopConfig(), enabled=False), TZ)
    run = simulate(at(2, 9), at(3, 9), lambda now: False, policy=policy)
    assert run.events == []


def test_resume_cancels_a_snooze() -> None:
    state = POLICY.snooze(PolicyState(), at(2, 18), timedelta(hours=2))
    assert POLICY.suspended(state, at(2, 19))
    assert not POLICY.suspended(POLICY.resume(state), at(2, 19))


@pytest.mark.parametrize(
    ("now", "state", "expected"),
    [
        (at(2, 10), PolicyState(running_since=at(2, 9)), "stops at 19:00"),
        (at(2, 18, 18), PolicyState(running_since=at(2, 9)), "stops at 19:00 (in 42 min)"),
        (at(2, 10), PolicyState(), None),
        (at(7, 10), PolicyState(running_since=at(7, 9)), None),
        (
            at(2, 18, 50),
            PolicyState(running_since=at(2, 9), snooze_until=at(2, 20)),
            "stops at 20:00",
        ),
        (
            at(2, 19, 30),
            POLICY.keep_running_tonight(PolicyState(running_since=at(2, 9)), at(2, 19)),
            "keeps running tonight",
        ),
    ],
)
def test_countdown_text(now: datetime, state: PolicyState, expected: str | None) -> None:
    assert countdown_text(POLICY, state, now) == expected


@pytest.mark.parametrize(
    ("sample", "active"),
    [
        (ActivitySample(), False),
        (ActivitySample(sync_changes=1), True),
        (ActivitySample(tunnel_bytes=2_000), False),
        (ActivitySample(tunnel_bytes=200_000), True),
        (ActivitySample(cpu_percent=3.0), False),
        (ActivitySample(cpu_percent=85.0), True),
        (ActivitySample(ssh_input_idle=timedelta(seconds=20)), True),
        (ActivitySample(ssh_input_idle=timedelta(minutes=30)), False),
    ],
)
def test_activity_signals(sample: ActivitySample, active: bool) -> None:
    assert is_active(sample, AutostopConfig(), since_tick=MINUTE) is active


def test_autostop_config_section(tmp_path: Path) -> None:
    config = parse_config(
        '[autostop]\nstop_at = "18:30"\nfri = "16:00"\nsat = "12:00"\nwarn_minutes = 10\n',
        tmp_path / "config.toml",
    )
    times = config.autostop.stop_times
    assert times[0] == time(18, 30)
    assert times[4] == time(16, 0)
    assert times[5] == time(12, 0)
    assert times[6] is None
    assert config.autostop.warn_minutes == 10
    assert config.autostop.enabled


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('stop_at = "7pm"', 'autostop.stop_at must be a time like "19:00"'),
        ('days = ["monday"]', "autostop.days has 'monday', which is not a weekday"),
        ("idle_minutes = 0", "autostop.idle_minutes must be more than 0 and at most 1440 minutes"),
        ('enabled = "yes"', "autostop.enabled must be true or false"),
        ("stop_after = 3", "unknown key autostop.stop_after"),
    ],
)
def test_autostop_config_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(BadConfig, match=message):
        parse_config(f"[autostop]\n{body}\n", tmp_path / "config.toml")


def test_reasons_are_reported() -> None:
    state = PolicyState(running_since=at(2, 9), last_tick=at(2, 10), idle=timedelta(hours=1))
    decision = POLICY.step(state, at(2, 10, 1), running=True, active=False)
    assert decision.state.pending is not None
    assert decision.state.pending.reason is StopReason.IDLE
    assert decision.message.startswith("The VM stops at 10:16 (idle)")
