"""Waiting for a state: adaptive intervals, dead ends, timeouts and cancellation."""

from __future__ import annotations

import itertools

import pytest

from desktop.core.errors import Cancelled, InvalidState, Offline
from desktop.core.model import VmSnapshot, VmState
from desktop.core.polling import PollSchedule, wait_for_state
from desktop.core.provider import CancelToken


def snap(state: VmState) -> VmSnapshot:
    return VmSnapshot("aws", "i-1", "web", "eu-west-1", state, "t3.micro")


class FakeClock:
    """Time that moves only when the waiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TickingCancel(CancelToken):
    """A cancel token whose wait advances the fake clock instead of sleeping."""

    def __init__(self, clock: FakeClock, cancel_after: int | None = None) -> None:
        super().__init__()
        self.clock = clock
        self.waits = 0
        self.cancel_after = cancel_after

    def wait(self, seconds: float) -> bool:
        self.waits += 1
        self.clock.now += seconds
        if self.cancel_after is not None and self.waits >= self.cancel_after:
            self.cancel()
        return self.cancelled


def test_schedule_is_fast_in_transitions_and_slow_when_stable() -> None:
    schedule = PollSchedule(fast=2, slow=30, offline=60)
    assert schedule.interval_for(VmState.STARTING) == 2
    assert schedule.interval_for(VmState.RUNNING) == 30
    assert schedule.interval_for(VmState.RUNNING, offline=True) == 60
    assert schedule.interval_for(None) == 2


def test_waits_through_transition_and_reports_progress() -> None:
    states = iter([VmState.STOPPED, VmState.STARTING, VmState.STARTING, VmState.RUNNING])
    clock = FakeClock()
    seen: list[tuple[VmState, float]] = []
    result = wait_for_state(
        lambda: snap(next(states)),
        {VmState.RUNNING},
        cancel=TickingCancel(clock),
        on_progress=lambda s, elapsed: seen.append((s.state, elapsed)),
        interval=5,
        clock=clock,
    )
    assert result.state is VmState.RUNNING
    assert [s for s, _ in seen] == [
        VmState.STOPPED,
        VmState.STARTING,
        VmState.STARTING,
        VmState.RUNNING,
    ]
    assert [e for _, e in seen] == [0, 5, 10, 15]


def test_stable_wrong_state_is_a_dead_end_not_an_endless_wait() -> None:
    clock = FakeClock()
    with pytest.raises(InvalidState, match="stopped instead of running"):
        wait_for_state(
            lambda: snap(VmState.STOPPED),
            {VmState.RUNNING},
            cancel=TickingCancel(clock),
            interval=1,
            clock=clock,
        )


def test_timeout_and_cancel() -> None:
    clock = FakeClock()
    with pytest.raises(Offline, match="within 30 s"):
        wait_for_state(
            lambda: snap(VmState.STARTING),
            {VmState.RUNNING},
            cancel=TickingCancel(clock),
            interval=10,
            timeout=30,
            clock=clock,
        )
    clock = FakeClock()
    calls = itertools.count()
    with pytest.raises(Cancelled):
        wait_for_state(
            lambda: (next(calls), snap(VmState.STARTING))[1],
            {VmState.RUNNING},
            cancel=TickingCancel(clock, cancel_after=2),
            interval=1,
            clock=clock,
        )
    assert next(calls) == 2
