"""The auto-stop policy: stop a forgotten VM, never one someone is working on.

Pure and clock-injected: `step()` takes the state, the time and what was observed, and returns
the new state and what to do. Two rules:

- **End of day**: on weekdays with a stop time (default 19:00 local), warn `warn_minutes`
  before it and stop at it — unless the developer was active at all while the warning was up,
  in which case the stop is postponed until they go idle (the after-hours idle rule).
- **Idle**: no activity for `idle_minutes` during the day, or `after_hours_idle_minutes` outside
  it, brings a warning; any activity withdraws it; staying idle through it stops the VM.

Every stop is preceded by a warning at least `warn_minutes` long, issued while the laptop was
awake. A gap between ticks longer than `sleep_gap` is the laptop asleep: it counts neither as
activity nor as idle time, and a stop that fell due during it is warned afresh on waking.
A VM started after the evening warning time is being used deliberately late: the end-of-day
stop does not apply to it that day, the idle rule does. Snoozes and "keep running tonight"
suspend both rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Protocol, runtime_checkable

from desktop.core.config import AutostopConfig
from desktop.core.text import QT_TRANSLATE_NOOP, Clock, Text

# Longer than this between two ticks means the laptop slept (the tray ticks every minute).
SLEEP_GAP = timedelta(minutes=3)
# How long a blocked stop (unsynced changes) waits before trying again.
BLOCKED_RETRY = timedelta(minutes=5)
# A stop that has not taken effect after this long (the cloud lost it) is asked for again.
STOP_RETRY = timedelta(minutes=10)
# When the working day starts: before it the short after-hours idle rule applies.
DAY_STARTS = time(7, 0)
SNOOZE_CHOICES = (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2))


class Action(enum.StrEnum):
    """What the caller should do after a tick."""

    NONE = "none"
    WARN = "warn"  # show the warning with its choices (a new or renewed pending stop)
    WITHDRAW = "withdraw"  # the pending stop is off: activity came back or the VM stopped
    POSTPONE = "postpone"  # end of day reached while working: stop later, once idle
    STOP = "stop"  # flush sync, then stop the VM


class ShutdownEffect(enum.StrEnum):
    """What a shutdown from inside the VM's OS does to its bill."""

    STOPS = "stops"  # compute billing ends, as with a stop from the cloud
    TERMINATES = "terminates"  # the VM is deleted: an idle agent must never be installed
    KEEPS_BILLING = "keeps-billing"  # e.g. Azure: powered off but still allocated


@runtime_checkable
class InOsShutdown(Protocol):
    """A provider that can say what an in-OS shutdown does (optional part of Provider)."""

    def in_os_shutdown_effect(self, vm_id: str) -> ShutdownEffect:
        """What `shutdown` inside this VM would do to it."""
        ...


class StopReason(enum.StrEnum):
    """Why a stop is pending."""

    SCHEDULE = "schedule"
    IDLE = "idle"


@dataclass(frozen=True)
class ActivitySample:
    """What was observed since the previous tick; None fields were not measurable."""

    ssh_input_idle: timedelta | None = None  # since the last keystroke in an SSH terminal
    # Paths sync created, updated or deleted either way (edits pushed, a job's results pulled;
    # not runs that found nothing), or Mutagen's own sync cycles.
    sync_changes: int = 0
    tunnel_bytes: int | None = None  # bytes through port forwards, where the OS counts them
    # Connections opened through a forward: the tunnel signal where bytes are not counted.
    tunnel_connections: int = 0
    cpu_percent: float | None = None  # the VM's CPU use, averaged since the last tick


# Tunnel traffic below this per tick is keep-alives and health checks, not a person.
TUNNEL_NOISE_BYTES = 16 * 1024


def tunnel_used(sample: ActivitySample) -> bool:
    """True if the forwards carried more than keep-alives and health checks.

    Bytes decide where they are counted (a client polling with tiny requests is noise); only
    where they are not does a newly opened connection count.
    """
    if sample.tunnel_bytes is not None:
        return sample.tunnel_bytes > TUNNEL_NOISE_BYTES
    return sample.tunnel_connections > 0


def is_active(sample: ActivitySample, settings: AutostopConfig, since_tick: timedelta) -> bool:
    """True if the sample shows someone (or something they started) using the VM."""
    if sample.sync_changes > 0 or tunnel_used(sample):
        return True
    if sample.cpu_percent is not None and sample.cpu_percent >= settings.cpu_busy_percent:
        return True
    return sample.ssh_input_idle is not None and sample.ssh_input_idle <= since_tick


@dataclass(frozen=True)
class PendingStop:
    """A warned stop: it happens at `stop_at` unless something intervenes."""

    stop_at: datetime
    reason: StopReason
    warned_at: datetime


@dataclass(frozen=True)
class PolicyState:
    """Everything the policy remembers between ticks."""

    last_tick: datetime | None = None
    idle: timedelta = timedelta(0)
    running_since: datetime | None = None
    pending: PendingStop | None = None
    schedule_done_on: date | None = None
    snooze_until: datetime | None = None
    keep_running_until: datetime | None = None
    blocked: str | None = None
    stop_requested_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """The outcome of a tick: what to do, the new state, and a sentence for the person."""

    action: Action
    state: PolicyState
    message: str = ""


@dataclass(frozen=True)
class Policy:
    """The auto-stop settings and the local time zone their clock times are in."""

    settings: AutostopConfig
    tz: tzinfo

    @property
    def warn(self) -> timedelta:
        """How long before a stop the warning comes."""
        return timedelta(minutes=self.settings.warn_minutes)

    def stop_time(self, day: date) -> datetime | None:
        """The scheduled stop on local `day`, or None on a day without one."""
        clock = self.settings.stop_times[day.weekday()]
        return None if clock is None else datetime.combine(day, clock, tzinfo=self.tz)

    def idle_limit(self, now: datetime, state: PolicyState) -> timedelta:
        """How much idle time brings a warning right now (shorter outside the working day)."""
        local = now.astimezone(self.tz)
        stop = self.stop_time(local.date())
        after_hours = (
            stop is None
            or now >= stop
            or local.time() < DAY_STARTS
            or state.schedule_done_on == local.date()
        )
        minutes = (
            self.settings.after_hours_idle_minutes if after_hours else self.settings.idle_minutes
        )
        return timedelta(minutes=minutes)

    def suspended(self, state: PolicyState, now: datetime) -> bool:
        """True while a snooze or "keep running tonight" holds every rule off.

        A snooze lets the rules back `warn_minutes` before it ends, so the stop it moved to
        gets its own warning.
        """
        holds = (
            state.snooze_until - self.warn if state.snooze_until else None,
            state.keep_running_until,
        )
        return any(until is not None and now < until for until in holds)

    def step(
        self,
        state: PolicyState,
        now: datetime,
        *,
        running: bool,
        active: bool,
        running_since: datetime | None = None,
    ) -> Decision:
        """Advance the policy to `now` given the VM's state and whether anyone was active.

        `running_since` is when the cloud says the VM started; without it (or when it is in
        the future: a skewed clock) the VM counts as started at the first running tick."""
        slept = state.last_tick is not None and now - state.last_tick > SLEEP_GAP
        elapsed = (
            timedelta(0) if state.last_tick is None or slept else max(now - state.last_tick, _0)
        )
        state = replace(state, last_tick=now)
        if not self.settings.enabled or not running:
            action = Action.WITHDRAW if state.pending else Action.NONE
            stopped = replace(
                state,
                idle=_0,
                running_since=None,
                pending=None,
                blocked=None,
                stop_requested_at=None,
            )
            return Decision(action, stopped)
        requested = state.stop_requested_at
        if requested is not None and now - requested < STOP_RETRY:
            return Decision(Action.NONE, state)  # the stop is on its way
        if state.running_since is None:
            # The cloud's start time, not the first tick: a tray started at 18:50 must not
            # take a VM that ran all day for one started "for an evening's work".
            started = running_since if running_since is not None and running_since <= now else now
            state = replace(state, running_since=started, idle=_0)
        state = replace(state, idle=_0 if active else state.idle + elapsed)
        if self.suspended(state, now):
            return Decision(Action.NONE, replace(state, pending=None))
        if state.pending is None:
            return self._maybe_warn(state, now)
        return self._follow_up(state, state.pending, now, slept=slept, active=active)

    def _maybe_warn(self, state: PolicyState, now: datetime) -> Decision:
        scheduled = self._scheduled_stop(state, now)
        if scheduled is not None and now >= scheduled - self.warn:
            stop_at = max(scheduled, now + self.warn)
            return self._warn(state, now, stop_at, StopReason.SCHEDULE)
        if state.idle >= self.idle_limit(now, state):
            return self._warn(state, now, now + self.warn, StopReason.IDLE)
        return Decision(Action.NONE, state)

    def _scheduled_stop(self, state: PolicyState, now: datetime) -> datetime | None:
        today = now.astimezone(self.tz).date()
        stop = self.stop_time(today)
        if stop is None or state.schedule_done_on == today:
            return None
        started = state.running_since or now
        if started >= stop - self.warn:
            return None  # started for an evening's work: the idle rule looks after it
        return stop

    def _warn(
        self, state: PolicyState, now: datetime, stop_at: datetime, reason: StopReason
    ) -> Decision:
        pending = PendingStop(stop_at=stop_at, reason=reason, warned_at=now)
        local = stop_at.astimezone(self.tz).strftime("%H:%M")
        why = "end of the day" if reason is StopReason.SCHEDULE else "idle"
        message = f"The VM stops at {local} ({why}). Snooze, keep it running tonight, or stop now."
        return Decision(Action.WARN, replace(state, pending=pending), message)

    def _follow_up(
        self, state: PolicyState, pending: PendingStop, now: datetime, *, slept: bool, active: bool
    ) -> Decision:
        if pending.reason is StopReason.IDLE and active:
            return Decision(
                Action.WITHDRAW, replace(state, pending=None, blocked=None), "Welcome back."
            )
        if now < pending.stop_at:
            return Decision(Action.NONE, state)
        if slept:
            # The laptop slept through the stop time: nobody saw a warning end. Warn again.
            return self._warn(state, now, now + self.warn, pending.reason)
        today = now.astimezone(self.tz).date()
        if pending.reason is StopReason.SCHEDULE:
            state = replace(state, schedule_done_on=today)
            # Any activity while the warning was up means someone is working: postpone.
            if state.idle < now - pending.warned_at:
                limit = self.settings.after_hours_idle_minutes
                return Decision(
                    Action.POSTPONE,
                    replace(state, pending=None),
                    f"Still working: the VM stops after {limit:g} idle minutes instead.",
                )
        return Decision(Action.STOP, replace(state, stop_requested_at=now), "Stopping the VM.")

    def stop_blocked(self, state: PolicyState, now: datetime, why: str) -> Decision:
        """A stop could not go ahead (unsynced changes): keep the VM, say why, retry later."""
        reason = state.pending.reason if state.pending else StopReason.IDLE
        pending = PendingStop(stop_at=now + BLOCKED_RETRY, reason=reason, warned_at=now)
        message = f"Not stopping the VM: {why}"
        blocked = replace(state, pending=pending, blocked=why, stop_requested_at=None)
        return Decision(Action.NONE, blocked, message)

    def snooze(self, state: PolicyState, now: datetime, length: timedelta) -> PolicyState:
        """Hold every rule off for `length` from now (a snoozed evening stop moves with it)."""
        return replace(state, snooze_until=now + length, pending=None, blocked=None)

    def keep_running_tonight(self, state: PolicyState, now: datetime) -> PolicyState:
        """No automatic stop until tomorrow morning's start of day."""
        local = now.astimezone(self.tz)
        morning = local.date() + timedelta(days=0 if local.time() < DAY_STARTS else 1)
        until = datetime.combine(morning, DAY_STARTS, tzinfo=self.tz)
        return replace(
            state,
            keep_running_until=until,
            schedule_done_on=local.date(),
            pending=None,
            blocked=None,
        )

    def resume(self, state: PolicyState) -> PolicyState:
        """Cancel any snooze or keep-running: the rules apply again."""
        return replace(state, snooze_until=None, keep_running_until=None)

    def next_stop(self, state: PolicyState, now: datetime) -> datetime | None:
        """When the VM will stop if nothing changes: a pending stop, or today's schedule."""
        if state.pending is not None:
            return state.pending.stop_at
        if state.running_since is None:
            return None
        holds = (state.snooze_until, state.keep_running_until)
        held = max((u for u in holds if u is not None and u > now), default=None)
        scheduled = self._scheduled_stop(state, now)
        if scheduled is None:
            return None
        return scheduled if held is None else max(scheduled, held)


_0 = timedelta(0)


_KEEPS_RUNNING = QT_TRANSLATE_NOOP("autostop", "keeps running tonight")
_STOPS_AT = QT_TRANSLATE_NOOP("autostop", "stops at {when}")
_STOPS_AT_IN = QT_TRANSLATE_NOOP("autostop", "stops at {when} (in %n min)", None, 1)


def countdown_words(policy: Policy, state: PolicyState, now: datetime) -> Text | None:
    """`stops at 19:00`, with `(in 42 min)` during the last hour; None when no stop is due."""
    stop = policy.next_stop(state, now)
    if stop is None:
        if state.keep_running_until is not None and now < state.keep_running_until:
            return _KEEPS_RUNNING
        return None
    when = Clock(stop.astimezone(policy.tz))
    left = stop - now
    if timedelta(0) <= left <= timedelta(hours=1):
        return _STOPS_AT_IN(max(1, round(left.total_seconds() / 60)), when=when)
    return _STOPS_AT(when=when)


def countdown_text(policy: Policy, state: PolicyState, now: datetime) -> str | None:
    """`countdown_words` in English."""
    words = countdown_words(policy, state, now)
    return None if words is None else str(words)
