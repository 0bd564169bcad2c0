"""Sync: one engine for one project to one VM, its control socket, and its latest status.

`SyncService` syncs a project (the day's, or `[connect] project`) to the VM the user picks,
through the SSH alias the connect service keeps up to date. The tray's Sync row
(`presentation.rows`) only reads its latest status. A project already synced by another devtray
(a `devtray up` that runs the day itself) is not synced twice.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from desktop.core.errors import DevtrayError, InvalidState
from desktop.core.model import VmSnapshot
from desktop.core.project import Project
from desktop.core.sync_state import SyncStatus
from desktop.remote.sync import control
from desktop.remote.sync.engine import SyncEngine
from desktop.services.connect import ConnectService

log = logging.getLogger(__name__)

# How long a flush may take before a stop gives up on it (one figure for every stop: the
# tray's, `devtray down`, auto-stop and Ctrl-C with --stop-on-exit).
FLUSH_WAIT = 120.0


class SyncService:
    """The tray's sync: start/stop for one VM, pause/resume/flush, the latest status."""

    def __init__(self, connect: ConnectService) -> None:
        self.connect = connect
        self._lock = threading.Lock()
        self._engine: SyncEngine | None = None
        self._server: control.ControlServer | None = None
        self._vm_id: str | None = None

    def start(
        self,
        vm: VmSnapshot,
        vms: Sequence[VmSnapshot],
        project: Project | None = None,
        *,
        adopt: bool = False,
    ) -> SyncEngine:
        """Sync `project` (default: the configured one) to `vm` (another sync stops first);
        `adopt` lets it take over a VM folder holding files devtray did not put there."""
        project = project or self.connect.project()
        if project is None:
            raise InvalidState(
                "No project is set to sync.",
                hint='Set [connect] project = "~/src/app" in devtray\'s config.',
            )
        self.stop()  # our own control socket would answer the check below
        if control.ask(project.root, "status") is not None:
            raise InvalidState(
                f"{project.root} is already being synced by another devtray (`devtray up`?).",
                hint="Stop that one first, or use it: `devtray sync status`.",
            )
        entry = self.connect.entry_for(vm, vms)
        engine = self.connect.link.sync_engine(project, entry.alias, adopt=adopt)
        engine.start()
        server = control.ControlServer(engine, project.root, os.getpid())
        server.start()
        with self._lock:
            self._engine, self._server, self._vm_id = engine, server, vm.id
        return engine

    def vm_id(self) -> str | None:
        """The id of the VM being synced to, if sync runs."""
        with self._lock:
            return self._vm_id

    def stop(self) -> None:
        """Stop syncing (no child is left behind)."""
        with self._lock:
            engine, server = self._engine, self._server
            self._engine, self._server, self._vm_id = None, None, None
        if server is not None:
            server.stop()
        if engine is not None:
            engine.stop()

    def on_wake(self, seconds: float) -> None:
        """After the laptop slept: let the running engine catch up."""
        with self._lock:
            engine = self._engine
        if engine is not None:
            engine.on_wake(seconds)

    def status(self, vm_id: str) -> SyncStatus | None:
        """The status of the sync to `vm_id`; None when it is not syncing."""
        with self._lock:
            engine = self._engine if self._vm_id == vm_id else None
        return engine.status() if engine else None

    def flush_before_stop(self, vm: VmSnapshot, project_root: Path | None = None) -> str | None:
        """Before a stop: flush what is unsynced; None when the VM holds it all, else why not.

        The service's own sync to `vm` is flushed, or else another devtray's sync of
        `project_root` (default: the configured project) through its control socket."""
        return self._flush_for(vm, project_root, pull_first=False)

    def bring_results_home(self, vm: VmSnapshot, project_root: Path | None = None) -> str | None:
        """Before the cloud takes `vm` back (a spot interruption): its pull folders come home
        first, then the flush; None when done, else why not. Sync keeps running meanwhile."""
        return self._flush_for(vm, project_root, pull_first=True)

    def _flush_for(
        self, vm: VmSnapshot, project_root: Path | None, *, pull_first: bool
    ) -> str | None:
        with self._lock:
            engine = self._engine if self._vm_id == vm.id else None
        try:
            if engine is not None:
                flush = engine.bring_results_home if pull_first else engine.flush
                status: SyncStatus | None = flush(FLUSH_WAIT)
            else:
                if project_root is None:
                    project = self.connect.project()
                    project_root = project.root if project else None
                status = (
                    control.ask(project_root, "flush", flush_timeout=FLUSH_WAIT)
                    if project_root
                    else None
                )
        except DevtrayError as exc:
            return str(exc)
        if status is None or not status.has_unsynced_changes:
            return None
        return f"unsynced changes ({status.summary()})"

    def _engine_or_fail(self) -> SyncEngine:
        with self._lock:
            engine = self._engine
        if engine is None:
            raise InvalidState("Sync is not running.")
        return engine

    def pause(self) -> None:
        """Hold changes back."""
        self._engine_or_fail().pause()

    def resume(self) -> None:
        """Send what changed, carry on."""
        self._engine_or_fail().resume()

    def flush(self) -> None:
        """Wait until the VM holds the laptop's tree; an error says why it does not."""
        status = self._engine_or_fail().flush(FLUSH_WAIT)
        if status.has_unsynced_changes:
            raise InvalidState(f"Sync could not finish: {status.summary()}")
