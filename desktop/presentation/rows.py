"""The tray's rows for sync, tunnels and opening an IDE: `MenuContribution`s that only read the
services' latest snapshots as the menu opens (never the disk, never the network). Their actions
run on the tray's worker thread. Qt-free presentation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from desktop.core.errors import DevtrayError
from desktop.core.model import VmSnapshot, VmState
from desktop.core.project import Project
from desktop.core.sync_state import SyncPhase
from desktop.core.text import QT_TRANSLATE_NOOP
from desktop.presentation.day_rows import project_key, vm_of
from desktop.presentation.glance import TrayView
from desktop.presentation.menu import Action, MenuItem, MenuSlot
from desktop.remote import ide
from desktop.remote.tunnels import TunnelState
from desktop.services.connect import ConnectService
from desktop.services.sync import SyncService

_NOT_RUNNING = QT_TRANSLATE_NOOP("rows", "the VM is not running")
# The plural follows the total: "1 of 2 tunnels up".
TUNNELS_UP = QT_TRANSLATE_NOOP("rows", "{up} of %n tunnel(s) up", None, 1)
_OPEN = QT_TRANSLATE_NOOP("rows", "Open in {ide}")
_OPEN_PROJECT = QT_TRANSLATE_NOOP("rows", "Open in {ide} ({project})")
_START_AND_OPEN = QT_TRANSLATE_NOOP("rows", "Open in {ide} ({project}, starts {vm})")
# The demo's VM without OpenSSH: the row names what stands in for the real thing.
_SIMULATED = QT_TRANSLATE_NOOP("rows", "{row} (simulated)")


class ProjectsOfVm:
    """Which project a VM's rows are about: the first of my projects (`[connect] project`
    first) whose VM it is, else `[connect] project` (no I/O: both are held in memory)."""

    def __init__(
        self, connect: ConnectService, projects: Callable[[], Sequence[Project]] = tuple
    ) -> None:
        self.connect = connect
        self.projects = projects  # my projects as last loaded

    def of(self, vm: VmSnapshot, view: TrayView) -> tuple[Project | None, Project | None]:
        """(`[connect] project` — None when unset or unreadable, the project whose VM is `vm`)."""
        try:
            configured = self.connect.project()
        except DevtrayError:
            configured = None
        candidates: list[Project] = [*((configured,) if configured else ()), *self.projects()]
        for project in candidates:
            found = vm_of(project, view)
            if found is not None and found.id == vm.id:
                return configured, project
        return configured, None

    def best(self, vm: VmSnapshot, view: TrayView) -> Project | None:
        """The project whose VM is `vm`, else `[connect] project`."""
        configured, mine = self.of(vm, view)
        return mine or configured


class SyncMenu:
    """The Sync row: the engine's status, with Pause/Resume, Sync now and Stop."""

    slot = MenuSlot.SYNC

    def __init__(self, service: SyncService, projects: ProjectsOfVm | None = None) -> None:
        self.service = service
        self.projects = projects or ProjectsOfVm(service.connect)

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
                run=lambda: self.service.start(vm, view.vms, self.projects.best(vm, view)),
            ),
        )


class TunnelsMenu:
    """The Tunnels row: one line per tunnel (up / retrying / failed, with the reason)."""

    slot = MenuSlot.TUNNELS

    def __init__(self, service: ConnectService, projects: ProjectsOfVm | None = None) -> None:
        self.service = service
        self.projects = projects or ProjectsOfVm(service)

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
        elif not self.service.has_forwards(self.projects.best(vm, view)):
            reason = QT_TRANSLATE_NOOP("rows", "no ports configured")
        return (
            MenuItem(
                QT_TRANSLATE_NOOP("rows", "Start tunnels"),
                key=f"{key}:start",
                mnemonic="u",
                enabled=reason is None,
                reason=reason,
                run=lambda: self.service.start_tunnels(vm, view.vms, self.projects.best(vm, view)),
            ),
        )


class OpenInMenu:
    """Open in VS Code / PyCharm / JetBrains Gateway."""

    slot = MenuSlot.OPEN_IN

    def __init__(self, service: ConnectService, projects: ProjectsOfVm | None = None) -> None:
        self.service = service
        self.projects = projects or ProjectsOfVm(service)

    def items(self, vm: VmSnapshot, view: TrayView) -> Sequence[MenuItem]:
        """One item per IDE for this VM's project; remote ones need the VM running — on a
        stopped VM they start the project's day and open it in that IDE, never a dead row."""
        configured, mine = self.projects.of(vm, view)
        project = mine or configured
        name = project.name if project else None
        remote_reason = None if vm.state is VmState.RUNNING else _NOT_RUNNING
        no_project = None if project else QT_TRANSLATE_NOOP("rows", "no project set")
        labels = (
            (ide.IdeKind.VSCODE, "VS Code", remote_reason, "V"),
            (ide.IdeKind.PYCHARM, "PyCharm", no_project, "C"),
            (ide.IdeKind.GATEWAY, "JetBrains Gateway", remote_reason, "G"),
        )
        # Only a VM at rest starts (while it stops or an operation runs: the plain reason).
        starts = mine if vm.state is VmState.STOPPED and vm.id not in view.busy else None
        rows: list[MenuItem] = []
        for kind, text, reason, letter in labels:
            if reason is _NOT_RUNNING and starts is not None:
                rows.append(
                    MenuItem(
                        _START_AND_OPEN(ide=text, project=starts.name, vm=vm.name),
                        key=f"open-{kind}:{vm.id}",
                        action=Action.START_AND_OPEN,
                        vm_id=vm.id,
                        project=project_key(starts),
                        ide=kind.value,
                        mnemonic=letter,
                    )
                )
                continue
            rows.append(
                MenuItem(
                    _OPEN_PROJECT(ide=text, project=name) if name else _OPEN(ide=text),
                    key=f"open-{kind}:{vm.id}",
                    enabled=reason is None,
                    reason=reason,
                    run=lambda kind=kind: self.service.open_in(kind, vm, view.vms, project),  # type: ignore[misc]
                    mnemonic=letter,
                )
            )
        return tuple(rows)
