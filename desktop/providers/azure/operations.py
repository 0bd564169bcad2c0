"""Long-running Azure operations (start, stop, resize, claim) followed with progress.

azure-core's poller follows `Azure-AsyncOperation` / `Location` in its own thread; this module
only watches it: bounded in time, cancellable between polls, errors mapped through AzureCalls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.core import errors
from desktop.core.model import VmState
from desktop.core.provider import CancelToken
from desktop.providers.azure.calls import AzureCalls

OPERATION_TIMEOUT = 1800.0  # a stuck Azure operation is reported, not waited on forever


@dataclass(frozen=True)
class Operation:
    """One running operation on one VM, and the state the VM is in while it runs."""

    what: str
    poller: Any  # azure.core.polling.LROPoller
    state: VmState


class Operations:
    """The operations in flight, at most one per VM (a second one is refused, not queued)."""

    def __init__(self, calls: AzureCalls, interval: float) -> None:
        self.calls = calls
        self.interval = interval
        self._lock = threading.Lock()
        self._running: dict[str, Operation] = {}

    def begin(self, vm_id: str, what: str, state: VmState, start: Callable[[], Any]) -> Operation:
        """Send the request that starts an operation and remember its poller."""
        with self._lock:
            busy = self._running.get(vm_id)
            if busy is not None and not busy.poller.done():
                raise errors.InvalidState(
                    f"Cannot {what}: devtray is still waiting to {busy.what}.",
                    hint="Wait until it finishes, then try again.",
                )
            operation = Operation(what, self.calls.call(what, start), state)
            self._running[vm_id] = operation
            return operation

    def state_of(self, vm_id: str) -> VmState | None:
        """The transition state of a VM with an operation in flight; raises if it failed.

        A finished operation is forgotten here, so its failure is reported exactly once.
        """
        with self._lock:
            operation = self._running.get(vm_id)
            if operation is None:
                return None
            if not operation.poller.done():
                return operation.state
            del self._running[vm_id]
        self.calls.call(operation.what, operation.poller.result)
        return None

    def wait(
        self,
        vm_id: str,
        operation: Operation,
        cancel: CancelToken,
        on_tick: Callable[[float], None],
        timeout: float = OPERATION_TIMEOUT,
    ) -> None:
        """Wait for `operation` to finish, calling `on_tick(elapsed)` between polls."""
        started = time.monotonic()
        try:
            while not operation.poller.done():
                elapsed = time.monotonic() - started
                if cancel.cancelled:
                    raise errors.Cancelled(
                        f"Stopped waiting to {operation.what}; Azure carries on with it.",
                        hint="`devtray status` shows where it is.",
                    )
                if elapsed > timeout:
                    raise errors.Offline(
                        f"Azure did not finish to {operation.what} within {timeout:.0f} s.",
                        hint="Look at the lab in the Azure portal, then try again.",
                    )
                on_tick(elapsed)
                # Wakes early when the poller's thread ends; a cancel is seen within a poll.
                pause = max(0.01, min(self.interval, timeout - elapsed))
                self.calls.call(operation.what, operation.poller.wait, pause)
            self.calls.call(operation.what, operation.poller.result)
        finally:
            with self._lock:
                if self._running.get(vm_id) is operation:
                    del self._running[vm_id]
