"""Adaptive polling and waiting for a VM to reach a state."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from desktop.core.errors import Cancelled, InvalidState, Offline
from desktop.core.model import VmSnapshot, VmState
from desktop.core.provider import CancelToken


@dataclass(frozen=True)
class PollSchedule:
    """How often to look at a VM: fast while it changes, slow when stable, slower offline."""

    fast: float = 2.0
    slow: float = 30.0
    offline: float = 60.0

    def interval_for(self, state: VmState | None, *, offline: bool = False) -> float:
        """Seconds until the next refresh of a VM in `state`."""
        if offline:
            return self.offline
        if state is None or state.is_transition or state is VmState.UNKNOWN:
            return self.fast
        return self.slow


def wait_for_state(
    refresh: Callable[[], VmSnapshot],
    targets: Collection[VmState],
    *,
    cancel: CancelToken,
    on_progress: Callable[[VmSnapshot, float], None] | None = None,
    interval: float = 2.0,
    timeout: float = 900.0,
    clock: Callable[[], float] = time.monotonic,
) -> VmSnapshot:
    """Refresh until the VM is in one of `targets`; raises on timeout, cancel or a dead end.

    A VM that lands in a stable state that is not a target (stopped while we wait for running)
    is an InvalidState error rather than an endless wait.
    """
    started = clock()
    while True:
        snapshot = refresh()
        elapsed = clock() - started
        if on_progress is not None:
            on_progress(snapshot, elapsed)
        if snapshot.state in targets:
            return snapshot
        stable = not snapshot.state.is_transition and snapshot.state is not VmState.UNKNOWN
        if stable and elapsed > interval:
            raise InvalidState(
                f"{snapshot.name} is {snapshot.state} instead of "
                f"{' or '.join(sorted(str(t) for t in targets))}",
                hint="Look at the VM in the cloud console; something else may have changed it.",
            )
        if elapsed >= timeout:
            raise Offline(
                f"{snapshot.name} did not become {' or '.join(str(t) for t in targets)} "
                f"within {timeout:.0f} s (still {snapshot.state})",
                hint="Check the VM in the cloud console, then try again.",
            )
        if cancel.wait(interval):
            raise Cancelled(f"Stopped waiting for {snapshot.name}; it is {snapshot.state}.")
