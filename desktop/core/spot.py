"""Spot VMs: AWS's interruption and rebalance notices, and the steps of a market switch.

The idle agent's watcher on the VM reads them from the instance metadata; the laptop turns
them into these snapshots and decides what to say and do (flush sync, pull results first).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from desktop.core.model import Market, VmSnapshot
from desktop.core.provider import CancelToken


class NoticeKind(enum.StrEnum):
    """What AWS announced."""

    # The VM will be stopped (or hibernated, or terminated) at `at`, about two minutes away.
    INTERRUPTION = "interruption"
    # The VM is at elevated risk of interruption: nothing happens yet.
    REBALANCE = "rebalance"


@dataclass(frozen=True)
class SpotNotice:
    """One notice as the VM's watcher recorded it."""

    kind: NoticeKind
    at: datetime | None  # the interruption's deadline, or when the rebalance was announced
    noticed_at: datetime | None = None  # when the watcher saw it (on the VM's clock)
    action: str | None = None  # stop / hibernate / terminate, for an interruption

    @property
    def interruption_at(self) -> datetime | None:
        """When AWS takes the VM back, for an interruption notice."""
        return self.at if self.kind is NoticeKind.INTERRUPTION else None


def notice_from_agent(data: object) -> SpotNotice | None:
    """The agent's `notice` answer as a snapshot; None when there is none or it is unreadable
    (the VM is untrusted input: a malformed notice is no notice, never a crash)."""
    if not isinstance(data, Mapping):
        return None
    try:
        kind = NoticeKind(str(data.get("kind")))
    except ValueError:
        return None
    action = data.get("action")
    return SpotNotice(
        kind=kind,
        at=_epoch(data.get("at")),
        noticed_at=_epoch(data.get("noticed_at")),
        action=str(action) if isinstance(action, str) else None,
    )


def _epoch(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def countdown(deadline: datetime, now: datetime) -> str:
    """`1 min 50 s`, `45 s`, or `0 s` once past."""
    seconds = max(0, int((deadline - now).total_seconds()))
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


class SwitchStep(enum.StrEnum):
    """The steps a switch reports as it goes."""

    STOPPING = "stopping the VM"
    IMAGING = "making an image of its disk"
    LAUNCHING = "launching the new instance"
    WAITING = "waiting until SSH answers"
    RETAGGING = "making the new instance your VM"
    TERMINATING = "terminating the old instance"
    KEEPING = "keeping the old instance (stopped)"
    CLEANING = "removing the image"
    ROLLING_BACK = "starting the old VM again"
    DONE = "done"


SwitchProgress = Callable[[SwitchStep, str], None]
# Given the new instance (running): True once SSH answers on it, bounded by the caller.
SshAnswers = Callable[[VmSnapshot], bool]
# Given (old, new): True when the person agrees to terminate the old instance.
Confirm = Callable[[VmSnapshot, VmSnapshot], bool]


@dataclass(frozen=True)
class SwitchResult:
    """What the switch left behind."""

    old: VmSnapshot
    new: VmSnapshot
    old_terminated: bool


@runtime_checkable
class MarketSwitcher(Protocol):
    """A provider that can move a VM between markets (AWS)."""

    def switch_market(
        self,
        vm_id: str,
        target: Market,
        *,
        progress: SwitchProgress,
        answers: SshAnswers,
        confirm: Confirm,
        cancel: CancelToken,
    ) -> SwitchResult:
        """See `Ec2Provider.switch_market`."""
        ...


@runtime_checkable
class SpotNoticeSource(Protocol):
    """A provider that knows its VMs' spot notices itself (the demo); AWS's come from the
    VM's watcher over SSH instead."""

    def spot_notice(self, vm_id: str) -> SpotNotice | None:
        """The VM's current notice, if any."""
        ...
