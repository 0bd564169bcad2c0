"""Runs the auto-stop policy for one VM: ticks, the person's choices, flush-then-stop.

The tray calls `tick()` every minute with what it observed; the notification's buttons call
`snooze()`, `keep_running_tonight()` and `stop_now()`. Everything with side effects comes in
as a callable, so this stays testable with a fake clock and fake VM.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from desktop.core.autostop import (
    Action,
    Decision,
    Policy,
    PolicyState,
    countdown_words,
)
from desktop.core.autostop_store import AutostopChoices, AutostopStore
from desktop.core.errors import DevtrayError
from desktop.core.server_stop import ServerHold, hold_for, refused_note
from desktop.core.text import Text

log = logging.getLogger(__name__)

# Flushes pending sync changes; returns None when everything reached the VM, else why not.
Flush = Callable[[], str | None]
# Moves the cloud's own stop schedule for a hold (None: put it back); returns what to say.
HoldServerStop = Callable[[ServerHold | None, datetime], str | None]


class AutostopController:
    """The policy's state for one VM, and the hands that act on its decisions."""

    def __init__(
        self,
        policy: Policy,
        store: AutostopStore,
        vm_id: str,
        *,
        stop_vm: Callable[[], object],
        flush: Flush,
        record_on_vm: Callable[[datetime | None], None] | None = None,
        hold_server_stop: HoldServerStop | None = None,
    ) -> None:
        self.policy = policy
        self.store = store
        self.vm_id = vm_id
        self._stop_vm = stop_vm
        self._flush = flush
        self._record_on_vm = record_on_vm
        self._hold_server_stop = hold_server_stop
        self.state = PolicyState()

    def tick(
        self,
        now: datetime,
        *,
        running: bool,
        active: bool,
        running_since: datetime | None = None,
    ) -> Decision:
        """Advance the policy; a STOP is carried out here (after a successful flush).
        `running_since`: when the cloud says the VM started."""
        choices = self.store.load(self.vm_id).active(now)
        self.state = replace(
            self.state,
            snooze_until=choices.snooze_until,
            keep_running_until=choices.keep_running_until,
        )
        if choices == AutostopChoices():
            self._hold_server(None, now)
        decision = self.policy.step(
            self.state, now, running=running, active=active, running_since=running_since
        )
        if decision.action is Action.STOP:
            decision = self._flush_and_stop(decision, now)
        self.state = decision.state
        return decision

    def snooze(self, now: datetime, length: timedelta) -> str:
        """Hold automatic stops off for `length`; returns what the person is told."""
        self.state = self.policy.snooze(self.state, now, length)
        note = self._save(now)
        until = self.state.snooze_until
        assert until is not None  # snooze() always sets it
        return _with(f"Snoozed: the VM keeps running until at least {self._local(until)}.", note)

    def keep_running_tonight(self, now: datetime) -> str:
        """No automatic stop until tomorrow morning."""
        self.state = self.policy.keep_running_tonight(self.state, now)
        note = self._save(now)
        until = self.state.keep_running_until
        assert until is not None
        return _with(f"The VM keeps running tonight (until {self._local(until)}).", note)

    def resume(self, now: datetime) -> str:
        """Cancel a snooze or keep-running: the rules apply again."""
        self.state = self.policy.resume(self.state)
        return _with("Auto-stop is back on.", self._save(now))

    def release_ended_hold(self, now: datetime) -> str | None:
        """Give the cloud its own stop schedule back once no snooze holds any more.

        Also for a hold that ran out while devtray was not running; with nothing to give back
        this costs no cloud call.
        """
        if self.store.load(self.vm_id).active(now) != AutostopChoices():
            return None
        return self._hold_server(None, now)

    def stop_now(self, now: datetime) -> Decision:
        """The person asked to stop now: flush, then stop (or say why not)."""
        requested = replace(self.state, stop_requested_at=now)
        decision = self._flush_and_stop(Decision(Action.STOP, requested, "Stopping the VM."), now)
        self.state = decision.state
        return decision

    def countdown(self, now: datetime) -> Text | None:
        """`stops at 19:00 (in 42 min)` for the tray, or None."""
        return countdown_words(self.policy, self.state, now)

    def _flush_and_stop(self, decision: Decision, now: datetime) -> Decision:
        try:
            why = self._flush()
        except DevtrayError as exc:
            why = exc.message
        if why:
            return self.policy.stop_blocked(decision.state, now, why)
        self._stop_vm()
        return decision

    def _save(self, now: datetime) -> str | None:
        """Record the choices here, on the VM and in the cloud's schedule; what to add."""
        choices = AutostopChoices(
            snooze_until=self.state.snooze_until,
            keep_running_until=self.state.keep_running_until,
        ).active(now)
        self.store.save(self.vm_id, choices)
        hold = hold_for(choices.snooze_until, choices.keep_running_until)
        note = self._hold_server(hold, now)
        if self._record_on_vm is None:
            return note
        try:
            self._record_on_vm(hold.until if hold is not None else None)
        except DevtrayError as exc:
            # The app's own policy still honours the choice; only the VM's safety net may not.
            log.warning("could not record the snooze on the VM: %s", exc)
        return note

    def _hold_server(self, hold: ServerHold | None, now: datetime) -> str | None:
        if self._hold_server_stop is None:
            return None
        try:
            return self._hold_server_stop(hold, now)
        except DevtrayError as exc:
            log.warning("could not change the cloud's stop schedule: %s", exc)
            return refused_note(exc, releasing=hold is None)

    def _local(self, when: datetime) -> str:
        return when.astimezone(self.policy.tz).strftime("%H:%M")


def _with(message: str, note: str | None) -> str:
    return f"{message} {note}" if note else message
