"""The interface every sync engine offers (built-in rsync, Mutagen)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from desktop.core.sync_state import SyncControl, SyncStatus

StatusListener = Callable[[SyncStatus], None]

log = logging.getLogger(__name__)


class StatusListeners:
    """An engine's listeners: each hears every new status; one that fails is logged and
    never stops the engine or the others."""

    def __init__(self) -> None:
        self._listeners: list[StatusListener] = []

    def add(self, listener: StatusListener) -> None:
        """Call `listener` with each new status."""
        self._listeners.append(listener)

    def tell(self, status: SyncStatus) -> None:
        """Hand `status` to every listener."""
        for listener in self._listeners:
            try:
                listener(status)
            except Exception:
                log.exception("sync status listener failed")


class SyncEngine(SyncControl, Protocol):
    """A running sync between a project folder and its folder on the VM.

    `start` returns at once (the first whole-tree sync runs in the background; `flush` waits
    for it); `stop` ends every child process the engine started before it returns.
    """

    name: str

    def start(self) -> None:
        """Begin watching and syncing."""
        ...

    def stop(self) -> None:
        """Stop syncing and end the engine's child processes."""
        ...

    def add_listener(self, listener: StatusListener) -> None:
        """Call `listener` with each new status (from the engine's threads)."""
        ...

    def on_wake(self, seconds: float) -> None:
        """The laptop slept for `seconds`: connections are dead; catch up now."""
        ...

    def bring_results_home(self, timeout: float) -> SyncStatus:
        """A flush (up to `timeout`) that copies the pull folders back before it pushes: for a
        VM about to go away, whose results only it holds."""
        ...
