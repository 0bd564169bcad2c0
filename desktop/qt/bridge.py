"""The one bridge between worker threads and the GUI thread.

Cloud calls (and contributed menu actions) run on a small thread pool; their results come back
through one queued Qt signal, so every callback runs on the GUI thread and the event loop never
waits for the network.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

T = TypeVar("T")


class CloudBridge(QObject):
    """Runs jobs on workers and delivers their results (or exceptions) on the GUI thread."""

    # (callback, argument): emitted from any thread, delivered on the bridge's (GUI) thread.
    _deliver = Signal(object)

    def __init__(self, workers: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None  # made on the first job, after start-up
        self._closed = threading.Event()
        self._pending = 0
        self._pending_lock = threading.Lock()
        # Auto connection: queued when emitted from a worker, which is the only place we emit.
        # (Naming Qt.ConnectionType here would build PySide's whole Qt namespace at start-up.)
        self._deliver.connect(self._on_deliver)

    @property
    def pending(self) -> int:
        """Jobs submitted whose callbacks have not run yet (tests and benchmarks wait on it)."""
        return self._pending

    def submit(
        self,
        job: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run `job` on a worker; then `on_done(result)` or `on_error(exc)` on the GUI thread."""
        if self._closed.is_set():
            return
        self._count(+1)
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(
                max_workers=self._workers, thread_name_prefix="devtray-cloud"
            )
        self._pool.submit(self._run, job, on_done, on_error)

    def call_on_gui(self, callback: Callable[[], None]) -> None:
        """Run `callback` on the GUI thread soon; call it from a worker thread."""
        self._count(+1)
        self._post(lambda _unused: callback(), None)

    def _count(self, change: int) -> None:
        with self._pending_lock:
            self._pending += change

    def _run(
        self,
        job: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        # On a worker. Emitting from here (not from the GUI thread) makes Qt queue the
        # delivery to the bridge's thread, so callbacks never run inside submit().
        try:
            result = job()
        except Exception as exc:
            self._post(on_error, exc)
        else:
            self._post(on_done, result)

    def _post(self, callback: Callable[[Any], None], argument: object) -> None:
        if self._closed.is_set():
            return
        try:
            self._deliver.emit((callback, argument))
        except RuntimeError:
            # The bridge was deleted while a worker finished (at quit): nobody is listening.
            log.debug("result dropped after the bridge closed")

    def _on_deliver(self, payload: tuple[Callable[[Any], None], object]) -> None:
        callback, argument = payload
        self._count(-1)
        if self._closed.is_set():
            return
        try:
            callback(argument)
        except Exception:
            # A bug in a callback must not take the tray down with it.
            log.exception("error in a GUI callback")

    def close(self) -> None:
        """Stop delivering; queued jobs are dropped, running ones finish without a callback."""
        self._closed.set()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
