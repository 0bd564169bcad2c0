"""What the watcher-driven engines (built-in over SSH, local copy for the simulated demo VM)
share: one lock over their state, the latest status and its listeners, pause, the flush
generations a worker serves, and the watcher's batches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Set
from pathlib import Path

from desktop.core.sync_state import SyncPhase, SyncStatus
from desktop.remote.sync.engine import StatusListener, StatusListeners


class EngineCore:
    """The bookkeeping half of an engine; the subclass's worker serves `_flush_wanted` (it sets
    `_flushed` to a generation once the VM holds the tree as it was when that was asked)."""

    name: str

    def __init__(self, step_ms: int) -> None:
        self._step_ms = step_ms
        self._cond = threading.Condition()
        self._listeners = StatusListeners()
        self._stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        # Everything below is guarded by _cond.
        self._changes: set[str] = set()  # paths the watcher reported, not sent yet
        self._changes_synced = 0
        # Why nothing watches the project any more (None while the watcher runs).
        self._watch_failure: str | None = None
        self._paused = False
        self._stopping = False
        self._flush_wanted = 0
        self._flushed = 0
        self._pull_first_wanted = 0  # the latest flush generation that pulls first
        self._retry_at = 0.0
        self._status = SyncStatus(engine=self.name, phase=SyncPhase.STOPPED)

    def status(self) -> SyncStatus:
        """The latest snapshot."""
        with self._cond:
            return self._status

    def add_listener(self, listener: StatusListener) -> None:
        """Call `listener` with each new status."""
        self._listeners.add(listener)

    def pause(self) -> SyncStatus:
        """Stop sending; changes keep being collected."""
        with self._cond:
            self._paused = True
            self._cond.notify_all()
        if self.status().phase is not SyncPhase.SYNCING:
            self._publish(phase=SyncPhase.PAUSED)
        return self.status()

    def flush(self, timeout: float) -> SyncStatus:
        """Reconcile the whole tree now and wait (up to `timeout`) until it is on the VM."""
        return self._flush(timeout, pull_first=False)

    def bring_results_home(self, timeout: float) -> SyncStatus:
        """A flush that copies the pull folders back before it pushes: when the VM is about
        to go, its results are what only it holds."""
        return self._flush(timeout, pull_first=True)

    def _flush(self, timeout: float, *, pull_first: bool) -> SyncStatus:
        # Let the watcher hand over what is already on disk, so the run sees it as changed.
        time.sleep(self._step_ms * 3 / 1000)
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._paused or self._stopping or self._gave_up():
                return self._status
            self._flush_wanted += 1
            generation = self._flush_wanted
            if pull_first:
                self._pull_first_wanted = generation
            self._retry_at = 0.0
            self._cond.notify_all()
            while self._flushed < generation and not self._stopping and not self._gave_up():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return self._status

    def _start_threads(self, kind: str) -> None:
        """Start the watcher and the worker (threads named `<kind>-watcher`, `<kind>-worker`)."""
        for target, role in ((self._watch, "watcher"), (self._work, "worker")):
            thread = threading.Thread(target=target, name=f"{kind}-{role}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _stop_threads(self, interrupt: Callable[[], None] = lambda: None) -> None:
        """Tell the watcher and the worker to stop, `interrupt` what the worker waits on (a
        transfer under way), and return when both ended."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._stop_event.set()
        interrupt()
        for thread in self._threads:
            thread.join(timeout=10)

    def _watch(self) -> None:
        """The watcher thread: notes what changed until `_stop_event`."""
        raise NotImplementedError

    def _work(self) -> None:
        """The worker thread: sends what changed, serves the flushes, until `_stopping`."""
        raise NotImplementedError

    def _gave_up(self) -> bool:
        """Under the lock: True when no run will ever come (the VM's folder was refused)."""
        return False

    def _publish(self, **changes: object) -> None:
        """A new status: the current one with `changes`; every listener hears it."""
        with self._cond:
            current = self._status
            values: dict[str, object] = {
                "phase": current.phase,
                "syncing_files": current.syncing_files,
                "checkout_files": current.checkout_files,
                "last_synced_at": current.last_synced_at,
                "reason": current.reason,
            }
            values.update(changes)
            if values["phase"] is SyncPhase.WATCHING and self._paused:
                values["phase"] = SyncPhase.PAUSED
            if values["phase"] is SyncPhase.WATCHING and self._watch_failure is not None:
                # A run finished, but edits no longer reach the VM: never say "watching".
                values["phase"] = SyncPhase.ERROR
                values["reason"] = self._watch_failure
            self._status = SyncStatus(
                engine=self.name,
                pending=len(self._changes),
                changes_synced=self._changes_synced,
                **values,  # type: ignore[arg-type]
            )
            status = self._status
        self._listeners.tell(status)


def watched_batches(
    root: Path, step_ms: int, debounce_ms: int, stop_event: threading.Event
) -> Iterator[Set[tuple[object, str]]]:
    """The native watcher's batches of (change, absolute path) under `root` until `stop_event`."""
    import watchfiles  # the native watcher; loaded only when sync runs

    yield from watchfiles.watch(
        root,
        watch_filter=None,
        debounce=debounce_ms,
        step=step_ms,
        stop_event=stop_event,
        rust_timeout=1000,
        raise_interrupt=False,
        ignore_permission_denied=True,
    )
