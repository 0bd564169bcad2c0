"""Sync in the tray: the Sync row of the VM's section, and the engine behind it.

`SyncService` runs one engine for the project of `[connect] project`, to the VM the user picks
(through the SSH alias the connect feature keeps up to date); `SyncMenu` is the tray's
`MenuContribution` and only reads the engine's latest status as the menu opens. Actions run on
the tray's worker thread. A project already synced by `devtray up` in a terminal is shown as
such and not synced twice.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence

from desktop.core.config import Config
from desktop.core.errors import DevtrayError, InvalidState
from desktop.core.model import VmSnapshot
from desktop.core.sync_state import SyncStatus
from desktop.remote.sync import control
from desktop.remote.sync.choose import create_engine
from desktop.remote.sync.engine import SyncEngine
from desktop.remote.sync.target import SshTarget
from desktop.remote.tools import required_tool
from desktop.services.connect import ConnectService

log = logging.getLogger(__name__)

FLUSH_WAIT = 120.0


class SyncService:
    """The tray's sync: start/stop for one VM, pause/resume/flush, the latest status."""

    def __init__(self, connect: ConnectService, load_config: Callable[[], Config]) -> None:
        self.connect = connect
        self._load_config = load_config
        self._lock = threading.Lock()
        self._engine: SyncEngine | None = None
        self._server: control.ControlServer | None = None
        self._vm_id: str | None = None

    def start(self, vm: VmSnapshot, vms: Sequence[VmSnapshot]) -> None:
        """Sync the configured project to `vm` (another VM's sync stops first)."""
        config = self._load_config()
        project = self.connect.project(config)
        if project is None:
            raise InvalidState(
                "No project is set to sync.",
                hint='Set [connect] project = "~/src/app" in devtray\'s config.',
            )
        if control.ask(project.root, "status") is not None:
            raise InvalidState(
                f"{project.root} is already being synced by another devtray (`devtray up`?).",
                hint="Stop that one first, or use it: `devtray sync status`.",
            )
        entry = self.connect.refresh_ssh_config(vms).entry_for(vm.id)
        if entry is None:
            raise InvalidState(f"{vm.name} has no address yet.", hint="Start it first.")
        self.stop()
        ssh_config = self.connect.writer(config).path
        target = SshTarget(
            host=entry.alias,
            remote_dir=project.remote_dir(),
            ssh_argv=(str(required_tool("ssh")), "-F", str(ssh_config)),
        )
        engine = create_engine(project, target, self.connect.supervisor)
        engine.start()
        server = control.ControlServer(engine, project.root, os.getpid())
        server.start()
        with self._lock:
            self._engine, self._server, self._vm_id = engine, server, vm.id

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

    def flush_before_stop(self, vm: VmSnapshot) -> str | None:
        """For auto-stop: flush what is unsynced; None when the VM holds it all, else why not.

        The tray's own sync to `vm` is flushed, or else a `devtray up` syncing the configured
        project in a terminal.
        """
        with self._lock:
            engine = self._engine if self._vm_id == vm.id else None
        try:
            if engine is not None:
                status: SyncStatus | None = engine.flush(FLUSH_WAIT)
            else:
                project = self.connect.project(self._load_config())
                status = (
                    control.ask(project.root, "flush", flush_timeout=FLUSH_WAIT)
                    if project
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
