"""The day in the tray: runs the day service's bring-up and wind-down on a worker, turns its
events into a `DayPanel` on the GUI thread (through the bridge), and says when the day is ready,
failed or ended.

Nothing here waits: every service call is submitted to the bridge, the listener the service
calls from its worker posts each event back with `call_on_gui`, and a one-second timer only
moves the elapsed time of the row and tooltip on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from desktop.core.errors import DevtrayError
from desktop.core.model import VmSnapshot
from desktop.core.project import Project
from desktop.core.provider import CancelToken
from desktop.core.text import Words
from desktop.presentation.day_rows import DayPanel, ide_name, project_key, vm_of
from desktop.presentation.glance import Problem, TrayView
from desktop.qt.bridge import CloudBridge
from desktop.qt.desktop_notifications import ActionNotifier
from desktop.qt.locale_text import tr
from desktop.services.day import (
    DayCancelled,
    DayEnded,
    DayEvent,
    DayFailed,
    DayPhase,
    DayProgress,
    DayReady,
    DayService,
)

log = logging.getLogger(__name__)

TICK_MS = 1000
Opener = Callable[[Project, VmSnapshot, Sequence[VmSnapshot]], None]


@dataclass(frozen=True)
class DayNotice:
    """What the tray tells the person when the day changes: a message, maybe with a button."""

    title: str
    message: str
    open_project: Project | None = None  # a button "Open in VS Code" opens it
    problem: Problem | None = None


class DayRunner(QObject):
    """Start my day / Cancel / Retry / End my day / Open, for the tray."""

    changed = Signal()  # the panel changed: tooltip, icon and an open menu re-render
    notice = Signal(object)  # DayNotice

    def __init__(
        self,
        bridge: CloudBridge,
        service: DayService,
        *,
        open_project: Opener,
        auto_open: Callable[[], bool],
        load_projects: Callable[[], Sequence[Project]],
        remember: Callable[[Path], object],
        price: Callable[[str], Words | None] = lambda _vm_id: None,
        notifier: ActionNotifier | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.notifier = notifier  # notifications with buttons, where the desktop has them
        self.bridge = bridge
        self.service = service
        self._open_project = open_project
        self._auto_open = auto_open
        self._progress = DayProgress()
        self._since = time.monotonic()  # when the latest event arrived (elapsed moves on)
        self._projects: tuple[Project, ...] = ()
        self._active: Project | None = None
        self._hourly: Words | None = None
        self._cancel: CancelToken | None = None
        self._load_projects = load_projects
        self._remember = remember
        self._price = price  # "$0.19/h" for a VM id (asks the cloud: on a worker)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.changed)
        # Every day's events, whoever started it: these rows, `devtray up` handed over by a
        # terminal, or the service resuming a day whose VM runs (after a restart).
        service.subscribe(self._hear)

    # -- what the rows read --------------------------------------------------------------------

    @property
    def panel(self) -> DayPanel:
        """The rows' input, with the elapsed time moved on to now while the day runs."""
        progress = self._progress
        if progress.phase in (DayPhase.STARTING, DayPhase.ENDING):
            progress = replace(progress, elapsed=progress.elapsed + time.monotonic() - self._since)
        return DayPanel(progress, self._projects, self._active, self._hourly)

    @property
    def busy(self) -> bool:
        """True while a bring-up or wind-down runs."""
        return self._progress.phase in (DayPhase.STARTING, DayPhase.ENDING)

    def reload_projects(self, then: Callable[[], None] | None = None) -> None:
        """Read my projects again (on a worker: each has a .devtray.toml to read)."""

        def loaded(projects: Sequence[Project]) -> None:
            self.set_projects(projects)
            if then is not None:
                then()

        self.bridge.submit(
            self._load_projects,
            loaded,
            lambda error: self.notice.emit(self.problem_notice(error)),
        )

    def set_projects(self, projects: Sequence[Project]) -> None:
        """The projects the menu offers."""
        self._projects = tuple(projects)
        log.info("day rows for %d project(s)", len(self._projects))
        if self._active is not None:
            self._active = self.project(project_key(self._active)) or self._active
        self.changed.emit()

    def set_hourly(self, text: Words | None) -> None:
        """`$0.19/h` for the ready header (the cost feature knows the price)."""
        self._hourly = text
        self.changed.emit()

    def project(self, key: str | None) -> Project | None:
        """The project a row names."""
        return next((p for p in self._projects if project_key(p) == key), None)

    # -- the day --------------------------------------------------------------------------------

    def start(
        self, project: Project, *, open_ide: bool | None = None, ide: str | None = None
    ) -> None:
        """Start the day of `project` (a no-op while one starts or ends); `ide`: open in this
        IDE instead of the project's own."""
        if self.busy:
            log.info("ignored Start my day: a day is starting or ending")
            return
        cancel = CancelToken()
        self._cancel = cancel
        self._active = project
        self._set(DayProgress(phase=DayPhase.STARTING, project_name=project.name))
        self._timer.start()
        wanted = self._auto_open() if open_ide is None else open_ide
        self.bridge.submit(
            lambda: self.service.bring_up(project, cancel=cancel, open_ide=wanted, ide=ide),
            lambda ready: self._ready(project, ready),
            lambda error: self._start_failed(project, error),
        )

    def cancel(self) -> None:
        """Cancel the bring-up; the service undoes what it did, then reports CANCELLED."""
        if self._cancel is not None:
            self._cancel.cancel()

    def end(self, view: TrayView) -> None:
        """End my day: flush, tunnels and sync off, VM stopped, what it cost."""
        if self.busy:
            return
        project = self._active
        self._set(replace(self._progress, phase=DayPhase.ENDING, elapsed=0.0, detail=""))
        self._timer.start()
        root = project.root if project is not None else None
        self.bridge.submit(
            lambda: self.service.wind_down(root),
            self._ended,
            self._end_failed,
        )

    def open(self, project: Project, view: TrayView) -> None:
        """Open `project` in its IDE against its running VM (on a worker)."""
        vm = vm_of(project, view)
        if vm is None:
            return
        vms = view.vms
        self.bridge.submit(
            lambda: self._open_project(project, vm, vms),
            lambda _none: None,
            lambda error: self.notice.emit(self.problem_notice(error)),
        )

    def shutdown(self) -> None:
        """Quit: stop a running bring-up; the day's record stays so a restart resumes it."""
        self._timer.stop()
        self.cancel()

    # -- results, on the GUI thread ---------------------------------------------------------

    def _hear(self, event: DayEvent) -> None:
        # Called by the service on its worker: hand the snapshot to the GUI thread.
        log.info("day: %s %s %s", event.kind, event.step or "", event.text)
        self.bridge.call_on_gui(lambda: self._set(event.progress))

    def _set(self, progress: DayProgress) -> None:
        ready = progress.ready
        if ready is not None and (self._active is None or self._active.root != ready.project_root):
            self._adopt(ready)
        self._progress = progress
        self._since = time.monotonic()
        if not self.busy:
            self._timer.stop()
        self.changed.emit()

    def _adopt(self, ready: DayReady) -> None:
        """A day started elsewhere (a terminal's `devtray up DIR`, a resumed day) becomes the
        menu's; a folder the tray did not know joins my projects."""
        known = self.project(str(ready.project_root))
        if known is not None:
            self._active = known
            return
        self._active = Project(root=ready.project_root, remote_path=ready.remote_path)
        self.bridge.submit(
            lambda: self._remember(ready.project_root),
            lambda _none: self.reload_projects(),
            lambda error: log.warning("%s not added to my projects: %s", ready.project_root, error),
        )

    def _ready(self, project: Project, ready: DayReady) -> None:
        self._cancel = None
        self._set(self.service.latest())
        self.bridge.submit(
            lambda: self._price(ready.vm_id),
            self.set_hourly,
            lambda error: log.info("no price for the ready line: %s", error),
        )
        name = ready.vm_name
        self.notice.emit(
            DayNotice(
                QCoreApplication.translate("DayRunner", "{vm} is ready").format(vm=name),
                QCoreApplication.translate("DayRunner", "{project} on {alias}:{path}").format(
                    project=project.name, alias=ready.alias, path=ready.remote_path
                ),
                open_project=project,
            )
        )

    def _start_failed(self, project: Project, error: BaseException) -> None:
        self._cancel = None
        latest = self.service.latest()
        if isinstance(error, DayCancelled):
            self._set(replace(latest, phase=DayPhase.CANCELLED))
            self.notice.emit(
                DayNotice(
                    QCoreApplication.translate("DayRunner", "Start cancelled"),
                    QCoreApplication.translate("DayRunner", "Nothing was left running."),
                )
            )
            return
        if not isinstance(error, DayFailed):
            log.error("the day of %s failed unexpectedly", project.name, exc_info=error)
        self._set(
            latest if latest.phase is DayPhase.FAILED else replace(latest, phase=DayPhase.FAILED)
        )
        self.notice.emit(self.problem_notice(error))

    def _ended(self, ended: DayEnded) -> None:
        self._set(replace(self.service.latest(), phase=DayPhase.IDLE, ended=ended))
        self.notice.emit(
            DayNotice(
                QCoreApplication.translate("DayRunner", "{vm} stopped").format(vm=ended.vm_name),
                tr(ended.words()),
            )
        )

    def _end_failed(self, error: BaseException) -> None:
        self._set(self.service.latest())
        self.notice.emit(self.problem_notice(error))

    @staticmethod
    def problem_notice(error: BaseException) -> DayNotice:
        problem = Problem.from_error(error)
        if isinstance(error, DevtrayError):
            return DayNotice(problem.title, problem.text(), problem=problem)
        return DayNotice(problem.title, problem.message, problem=problem)


def open_label(project: Project) -> str:
    """The notification button's text: `Open in VS Code`."""
    return QCoreApplication.translate("DayRunner", "Open in {ide}").format(ide=ide_name(project))
