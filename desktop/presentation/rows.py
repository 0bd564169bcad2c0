"""The tray's rows for sync, tunnels and opening an IDE: `MenuContribution`s that only read the
services' latest snapshots as the menu opens (never the disk, never the network). Their actions
run on the tray's worker thread. Qt-free presentation."""

from __future__ import annotations

from collections.abc import Sequence

from desktop.core.model import VmSnapshot, VmState
from desktop.core.sync_state import SyncPhase
from desktop.core.text import QT_TRANSLATE_NOOP
from desktop.presentation.glance import TrayView
from desktop.presentation.menu import MenuItem, MenuSlot
from desktop.remote import ide
from desktop.remote.tunnels import TunnelState
from desktop.services.connect import ConnectService
from desktop.services.sync import SyncService

_NOT_RUNNING = QT_TRANSLATE_NOOP("rows", "the VM is not running")
# The plural follows the total: "1 of 2 tunnels up".
TUNNELS_UP = QT_TRANSLATE_NOOP("rows", "{up} of %n tunnel(s) up", None, 1)
_OPEN = QT_TRANSLATE_NOOP("rows", "Open in {ide}")
_OPEN_PROJECT = QT_TRANSLATE_NOOP("rows", "Open in {ide} ({project})")
# The demo's VM without OpenSSH: the row names what stands in for the real thing.
_SIMULATED = QT_TRANSLATE_NOOP("rows", "{row} (simulated)")


class SyncMenu:
    """The Sync row: the engine's status, with Pause/Resume, Sync now and Stop."""

    slot = MenuSlot.SYNC

    def __init__(self, service: SyncService) -> None:
        self.service = service

    def items(self, vm: VmSnapshot, view: TrayView) -> Sequence[MenuItem]:
        """The row for one VM (reads only the service's state)."""
        key = f"sync:{vm.id}"
        status = self.service.status(vm.id)
        if status is not None:
            paused = status.phase is SyncPhase.PAUSED
            toggle = (
                MenuItem(
                    QT_TRANSLATE_NOOP("rows", "Resume sync"),
                    key=f"{key}:resume",
                    run=self.service.resume,
                )
                if paused
                else MenuItem(
                    QT_TRANSLATE_NOOP("rows", "Pause sync"),
                    key=f"{key}:pause",
                    run=self.service.pause,
                )
            )
            children = (
                toggle,
                MenuItem(
                    QT_TRANSLATE_NOOP("rows", "Sync now"),
                    key=f"{key}:flush",
                    run=self.service.flush,
                ),
                MenuItem(
                    QT_TRANSLATE_NOOP("rows", "Stop sync"), key=f"{key}:stop", run=self.service.stop
                ),
            )
            summary = QT_TRANSLATE_NOOP("rows", "Sync: {summary}")(summary=status.summary_words())
            if self.service.connect.link.simulated:
                summary = _SIMULATED(row=summary)
            return (MenuItem(summary, key=key, children=children, mnemonic="y"),)
        running = vm.state is VmState.RUNNING
        return (
            MenuItem(
                QT_TRANSLATE_NOOP("rows", "Start sync"),
                key=f"{key}:start",
                mnemonic="y",
                enabled=running,
                reason=_NOT_RUNNING,
                run=lambda: self.service.start(vm, view.vms),
            ),
        )


class TunnelsMenu:
    """The Tunnels row: one line per tunnel (up / retrying / failed, with the reason)."""

    slot = MenuSlot.TUNNELS

    def __init__(self, service: ConnectService) -> None:
        self.service = service

    def items(self, vm: VmSnapshot, view: TrayView) -> Sequence[MenuItem]:
        """The row for one VM (reads only the service's state)."""
        key = f"tunnels:{vm.id}"
        statuses = self.service.tunnel_statuses(vm.id)
        if statuses is not None:
            lines = tuple(
                MenuItem(status.words(), key=f"{key}:{status.forward.local_port}", enabled=False)
                for status in statuses
            )
            stop = MenuItem(
                QT_TRANSLATE_NOOP("rows", "Stop tunnels"),
                key=f"{key}:stop",
                run=self.service.stop_tunnels,
            )
            up = sum(status.state is TunnelState.UP for status in statuses)
            text = TUNNELS_UP(len(statuses), up=up)
            return (
                MenuItem(
                    _SIMULATED(row=text) if self.service.link.simulated else text,
                    key=key,
                    children=(*lines, stop),
                    mnemonic="u",
                ),
            )
        reason = None
        if vm.state is not VmState.RUNNING:
            reason = _NOT_RUNNING
        elif not self.service.has_forwards():
            reason = QT_TRANSLATE_NOOP("rows", "no ports configured")
        return (
            MenuItem(
                QT_TRANSLATE_NOOP("rows", "Start tunnels"),
                key=f"{key}:start",
                mnemonic="u",
                enabled=reason is None,
                reason=reason,
                run=lambda: self.service.start_tunnels(vm, view.vms),
            ),
        )


class OpenInMenu:
    """Open in VS Code / PyCharm / JetBrains Gateway."""

    slot = MenuSlot.OPEN_IN

    def __init__(self, service: ConnectService) -> None:
        self.service = service

    def items(self, vm: VmSnapshot, view: TrayView) -> Sequence[MenuItem]:
        """One item per IDE; remote ones need the VM running."""
        project = self.service.project_name()
        remote_reason = None if vm.state is VmState.RUNNING else _NOT_RUNNING
        no_project = None if project else QT_TRANSLATE_NOOP("rows", "no project set")
        labels = (
            (ide.IdeKind.VSCODE, "VS Code", remote_reason, "V"),
            (ide.IdeKind.PYCHARM, "PyCharm", no_project, "C"),
            (ide.IdeKind.GATEWAY, "JetBrains Gateway", remote_reason, "G"),
        )
        return tuple(
            MenuItem(
                _OPEN_PROJECT(ide=text, project=project) if project else _OPEN(ide=text),
                key=f"open-{kind}:{vm.id}",
                enabled=reason is None,
                reason=reason,
                run=lambda kind=kind: self.service.open_in(kind, vm, view.vms),  # type: ignore[misc]
                mnemonic=letter,
            )
            for kind, text, reason, letter in labels
        )
