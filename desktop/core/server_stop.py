"""Holding off a stop the cloud itself carries out (an Azure DevTest Labs shutdown schedule).

devtray's own snooze only holds devtray's stop. A cloud with a server-side schedule stops the VM
at its own time whether devtray runs or not, so a snooze or "keep running tonight" must also
move that schedule, and put it back once the hold is over. Providers that can do so implement
`ServerStopHold`; the others (AWS, the demo) simply don't.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from desktop.core.errors import DevtrayError


@dataclass(frozen=True)
class ServerHold:
    """No server-side stop before `until`; `all_night`: switch the schedule off until then."""

    until: datetime
    all_night: bool = False


@runtime_checkable
class ServerStopHold(Protocol):
    """A provider whose cloud stops VMs on a schedule that devtray may change (optional)."""

    def hold_server_stop(self, vm_id: str, hold: ServerHold | None, now: datetime) -> str | None:
        """Make the cloud's schedule respect `hold`; None puts back what was there before.

        Remembers the original durably before changing anything, so a later call (even from
        another devtray process, or after a restart) restores it. Returns what to tell the
        person, or None when nothing had to change. Raises a DevtrayError when refused.
        """
        ...

    def describe_server_hold(self, vm_id: str, now: datetime) -> str | None:
        """What devtray changed in the cloud's schedule for the current hold (no cloud call)."""
        ...


def hold_for(
    snooze_until: datetime | None, keep_running_until: datetime | None
) -> ServerHold | None:
    """The server-side hold that matches devtray's choices (the later of the two wins)."""
    if keep_running_until is not None and (
        snooze_until is None or keep_running_until >= snooze_until
    ):
        return ServerHold(keep_running_until, all_night=True)
    if snooze_until is not None:
        return ServerHold(snooze_until)
    return None


def refused_note(exc: DevtrayError, *, releasing: bool = False) -> str:
    """What to say when the cloud refused the change; devtray's own choice stands regardless."""
    hint = f" {exc.hint}" if exc.hint else ""
    if releasing:
        return (
            f"The lab's shutdown schedule could not be put back yet: {exc.message}{hint} "
            "devtray tries again on its next check."
        )
    return (
        f"The lab's own shutdown schedule was not changed: {exc.message}{hint} "
        "devtray will not stop the VM before then, but the lab may still stop it at its time."
    )
