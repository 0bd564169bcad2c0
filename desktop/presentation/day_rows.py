"""The day's rows at the top of the tray menu, and its tooltip line: Qt-free, built from the
latest `DayProgress` and `TrayView` each time the menu opens.

Shape (see /work/shared/TRAY.md): a grey header saying where the day stands, then the one thing
to do next (Start my day -> Cancel while it runs -> Open in the IDE once ready -> Retry after a
failure), the steps while it runs, the project's Open row, then End my day. The rows keep their
keys and their order in every state, so the tests and the e2e test find them by key and a click
meant for one row never lands on another.

Every text is a `Text` (see `desktop.core.text`): the tray translates it, `str()` is English.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desktop.core.humanize import printable
from desktop.core.model import VmSnapshot, VmState
from desktop.core.project import Project
from desktop.core.text import QT_TRANSLATE_NOOP, Text, Words
from desktop.presentation.glance import TrayView, state_words
from desktop.presentation.menu import SEPARATOR, Action, MenuItem
from desktop.services.day import DayPhase, DayProgress, DayStep, StepState

IDE_NAMES = {"vscode": "VS Code", "pycharm": "PyCharm", "gateway": "JetBrains Gateway"}

# What the running step is doing, as the primary row says it ("Starting devbox…").
_DOING = {
    DayStep.SIGNED_IN: QT_TRANSLATE_NOOP("day_rows", "Checking sign-in…"),
    DayStep.VM_STARTED: QT_TRANSLATE_NOOP("day_rows", "Starting {vm}…"),
    DayStep.SSH_CONFIG: QT_TRANSLATE_NOOP("day_rows", "Writing the SSH config…"),
    DayStep.SSH_READY: QT_TRANSLATE_NOOP("day_rows", "Waiting for SSH on {vm}…"),
    DayStep.TUNNELS: QT_TRANSLATE_NOOP("day_rows", "Opening tunnels…"),
    DayStep.SYNC: QT_TRANSLATE_NOOP("day_rows", "Syncing…"),
    DayStep.IDE_OPEN: QT_TRANSLATE_NOOP("day_rows", "Opening {ide}…"),
}

_MARKS = {
    StepState.DONE: "✓",
    StepState.SKIPPED: "✓",
    StepState.RUNNING: "▸",
    StepState.FAILED: "✗",
    StepState.UNDONE: "↺",
    StepState.PENDING: "…",
}


def project_key(project: Project) -> str:
    """What a row carries to say which project it is about."""
    return str(project.root)


def ide_of(project: Project) -> str:
    """The project's IDE (`ide` in its .devtray.toml or its [[projects]] entry; VS Code)."""
    return project.ide or "vscode"


def ide_name(project: Project) -> str:
    """`VS Code`."""
    return IDE_NAMES.get(ide_of(project), ide_of(project))


def vm_of(project: Project, view: TrayView) -> VmSnapshot | None:
    """The project's VM among mine (my only VM when the project names none)."""
    if project.vm is None:
        return view.vms[0] if len(view.vms) == 1 else None
    return next((vm for vm in view.vms if vm.matches(project.vm)), None)


@dataclass(frozen=True)
class DayPanel:
    """What the day rows are built from (all held in memory by the Qt layer)."""

    progress: DayProgress
    projects: tuple[Project, ...] = ()
    active: Project | None = None  # the project whose day runs (or last ran)
    hourly: Words | None = None  # "$0.19/h" for the active VM, when priced
    ready_to_load: bool = True  # False until the day service has loaded (after start-up)

    @property
    def selected(self) -> Project | None:
        """The project the top rows are about: the running day's, else the first."""
        return self.active or (self.projects[0] if self.projects else None)

    @property
    def running(self) -> bool:
        """True while a bring-up or a wind-down runs."""
        return self.progress.phase in (DayPhase.STARTING, DayPhase.ENDING)


def seconds_text(seconds: float) -> Words:
    """`14 s`, `2:05` past a minute."""
    whole = int(seconds)
    if whole < 60:
        return QT_TRANSLATE_NOOP("day_rows", "{n} s")(n=whole)
    return f"{whole // 60}:{whole % 60:02d}"


def step_text(progress: DayProgress, project: Project | None) -> Words:
    """What the day is doing now, in the rows' words ("Starting devbox…"); the sync step says
    how far it is when the service knows ("Syncing 3,214 files…")."""
    if progress.phase is DayPhase.ENDING:
        return QT_TRANSLATE_NOOP("day_rows", "Ending the day…")
    if progress.current is None:
        return QT_TRANSLATE_NOOP("day_rows", "Starting the day…")
    if progress.current is DayStep.SYNC and progress.detail.startswith("Syncing "):
        return progress.detail
    if progress.current is DayStep.SSH_READY and progress.simulated:
        return _SIMULATED(why=progress.simulated)
    return _DOING[progress.current](
        vm=printable(progress.vm_name or ""), ide=ide_name(project) if project else "IDE"
    )


_FAILED = QT_TRANSLATE_NOOP("day_rows", "{step} failed: {reason}")
# Said once, plainly, so nobody takes the demo's local copy and forwards for SSH.
_SIMULATED = QT_TRANSLATE_NOOP("day_rows", "Demo VM simulated: {why}")
_MARKED = QT_TRANSLATE_NOOP("day_rows", "{mark} {step}")
_AFTER = QT_TRANSLATE_NOOP("day_rows", "{steps}   {step}")


def steps_line(progress: DayProgress) -> Words:
    """`✓ signed in   ▸ VM started   … SSH …` (step labels are the service's)."""
    line: Words = ""
    for step, state in progress.steps:
        marked = _MARKED(mark=_MARKS[state], step=step.words)
        line = _AFTER(steps=line, step=marked) if line else marked
    return line


def _vm_label(project: Project, vm: VmSnapshot | None) -> str:
    if vm is not None:
        return printable(vm.name)
    return printable(project.vm or "my VM")


_HOURLY = QT_TRANSLATE_NOOP("day_rows", "{text} · {hourly}")
_STATUS = QT_TRANSLATE_NOOP("day_rows", "{vm} · {state}")
_ENDED = QT_TRANSLATE_NOOP("day_rows", "{vm} · {state} · {ended}")


def _ready(panel: DayPanel, vm: str) -> Text:
    text = QT_TRANSLATE_NOOP("day_rows", "Ready · {vm}")(vm=vm)
    return _HOURLY(text=text, hourly=panel.hourly) if panel.hourly else text


def _header(panel: DayPanel, project: Project, vm: VmSnapshot | None) -> Words:
    progress = panel.progress
    name = _vm_label(project, vm)
    phase = progress.phase
    if phase is DayPhase.STARTING:
        return QT_TRANSLATE_NOOP("day_rows", "{vm} · starting — {elapsed}")(
            vm=name, elapsed=seconds_text(progress.elapsed)
        )
    if phase is DayPhase.ENDING:
        return QT_TRANSLATE_NOOP("day_rows", "{vm} · ending the day — {elapsed}")(
            vm=name, elapsed=seconds_text(progress.elapsed)
        )
    if phase is DayPhase.READY:
        return _ready(panel, name)
    if phase is DayPhase.FAILED:
        return QT_TRANSLATE_NOOP("day_rows", "{vm} · could not start the day")(vm=name)
    state = state_words(vm.state) if vm is not None else QT_TRANSLATE_NOOP("day_rows", "not found")
    if progress.ended is not None:
        return _ENDED(vm=name, state=state, ended=progress.ended.words())
    return _STATUS(vm=name, state=state)


def _start_row(
    panel: DayPanel, project: Project, vm: VmSnapshot | None, view: TrayView
) -> MenuItem:
    """The primary row outside a running day: Start my day (or Retry after a failure)."""
    retry = panel.progress.phase is DayPhase.FAILED
    text = (
        QT_TRANSLATE_NOOP("day_rows", "↻ Retry: start my day — {project} on {vm}")
        if retry
        else QT_TRANSLATE_NOOP("day_rows", "▶ Start my day — {project} on {vm}")
    )
    reason = _cannot_start(panel, project, vm, view)
    return MenuItem(
        text=text(project=printable(project.name), vm=_vm_label(project, vm)),
        key="day:primary",
        action=Action.START_DAY,
        project=project_key(project),
        enabled=reason is None,
        reason=reason,
        mnemonic="d",  # the day's first row; S t R i e l Q y u p V C G are taken
    )


def _cannot_start(
    panel: DayPanel, project: Project, vm: VmSnapshot | None, view: TrayView
) -> Words | None:
    """Why the project's day cannot start now (None when it can)."""
    if not panel.ready_to_load:
        return QT_TRANSLATE_NOOP("day_rows", "loading…")
    if view.offline:
        return QT_TRANSLATE_NOOP("day_rows", "offline")
    if vm is None:
        return QT_TRANSLATE_NOOP("day_rows", "its VM {vm} is not among yours")(
            vm=printable(project.vm or "")
        )
    if vm.id in view.busy or vm.state in (VmState.STOPPING, VmState.RESIZING):
        return QT_TRANSLATE_NOOP("day_rows", "wait until {vm} is running or stopped")(
            vm=printable(vm.name)
        )
    return None


def _open_row(panel: DayPanel, project: Project, vm: VmSnapshot | None, view: TrayView) -> MenuItem:
    """Open in the project's IDE: at once when the VM runs, else "starts devbox" (a day)."""
    label = QT_TRANSLATE_NOOP("day_rows", "Open in {ide}")(ide=ide_name(project))
    running = vm is not None and vm.state is VmState.RUNNING
    if panel.running:
        return MenuItem(
            label,
            key="day:open",
            enabled=False,
            reason=QT_TRANSLATE_NOOP("day_rows", "when the day is ready"),
        )
    if running or ide_of(project) == "pycharm":  # PyCharm opens the local folder
        return MenuItem(
            label, key="day:open", action=Action.OPEN_PROJECT, project=project_key(project)
        )
    starts = QT_TRANSLATE_NOOP("day_rows", "Open in {ide} (starts {vm})")(
        ide=ide_name(project), vm=_vm_label(project, vm)
    )
    reason = _cannot_start(panel, project, vm, view)  # the same day as Start my day
    return MenuItem(
        starts,
        key="day:open",
        action=Action.START_AND_OPEN,
        project=project_key(project),
        enabled=reason is None,
        reason=reason,
    )


def _end_row(panel: DayPanel, vm: VmSnapshot | None) -> MenuItem:
    phase = panel.progress.phase
    reason = None
    if phase is DayPhase.ENDING:
        reason = QT_TRANSLATE_NOOP("day_rows", "already ending")
    elif phase is DayPhase.STARTING:
        reason = QT_TRANSLATE_NOOP("day_rows", "cancel the start instead")
    elif vm is None or vm.state is not VmState.RUNNING:
        reason = QT_TRANSLATE_NOOP("day_rows", "nothing is running")
    return MenuItem(
        QT_TRANSLATE_NOOP("day_rows", "■ End my day"),
        key="day:end",
        action=Action.END_DAY,
        enabled=reason is None,
        reason=reason,
        mnemonic="n",
    )


def _projects_menu(panel: DayPanel, view: TrayView) -> MenuItem:
    """Projects ▸: one Start my day (and Open) per project, then Add project folder…"""
    children: list[MenuItem] = []
    busy = panel.running
    for project in panel.projects:
        vm = vm_of(project, view)
        summary = QT_TRANSLATE_NOOP("day_rows", "{project} ({vm}, {ide})")(
            project=printable(project.name), vm=_vm_label(project, vm), ide=ide_name(project)
        )
        rows = (
            MenuItem(
                QT_TRANSLATE_NOOP("day_rows", "Start my day"),
                key=f"project:{project_key(project)}:start",
                action=Action.START_DAY,
                project=project_key(project),
                enabled=not busy and vm is not None and panel.ready_to_load,
                reason=QT_TRANSLATE_NOOP("day_rows", "a day is starting or ending")
                if busy
                else QT_TRANSLATE_NOOP("day_rows", "its VM is not found"),
            ),
            MenuItem(
                QT_TRANSLATE_NOOP("day_rows", "Open in {ide}")(ide=ide_name(project)),
                key=f"project:{project_key(project)}:open",
                action=Action.OPEN_PROJECT
                if vm is not None and vm.state is VmState.RUNNING
                else Action.START_AND_OPEN,
                project=project_key(project),
                enabled=not busy and vm is not None and panel.ready_to_load,
                reason=QT_TRANSLATE_NOOP("day_rows", "a day is starting or ending")
                if busy
                else QT_TRANSLATE_NOOP("day_rows", "its VM is not found"),
            ),
        )
        children.append(MenuItem(summary, key=f"project:{project_key(project)}", children=rows))
    children += [
        SEPARATOR,
        MenuItem(
            QT_TRANSLATE_NOOP("day_rows", "Add project folder…"),
            key="project:add",
            action=Action.ADD_PROJECT,
        ),
    ]
    return MenuItem(
        QT_TRANSLATE_NOOP("day_rows", "Projects"), key="projects", children=tuple(children)
    )


def offers_day_setup(panel: DayPanel, view: TrayView) -> bool:
    """True when "Set up your day" should open by itself (the first run after sign-in): the
    cloud answered with my VMs, I have no project, and this is not the demo."""
    return (
        view.loaded
        and view.problem is None
        and bool(view.vms)
        and not view.demo
        and not panel.projects
    )


def day_rows(panel: DayPanel, view: TrayView) -> list[MenuItem]:
    """The day's rows for the top of the menu (none before the first look at the cloud)."""
    if not view.loaded or not view.vms:
        return []
    project = panel.selected
    if project is None:
        return [
            MenuItem(
                QT_TRANSLATE_NOOP("day_rows", "Set up your day…"),
                key="day:setup",
                action=Action.SET_UP_DAY,
                mnemonic="d",
            ),
            _projects_menu(panel, view),
            SEPARATOR,
        ]
    vm = vm_of(project, view)
    progress = panel.progress
    rows = [MenuItem(_header(panel, project, vm), key="day:status", enabled=False)]
    if progress.simulated and progress.phase in (DayPhase.STARTING, DayPhase.READY):
        why = _SIMULATED(why=progress.simulated)
        rows.append(MenuItem(why, key="day:simulated", enabled=False))
    if progress.phase is DayPhase.STARTING:
        text = QT_TRANSLATE_NOOP("day_rows", "■ {doing} (step {i} of {n}) · {t}")(
            doing=step_text(progress, project),
            i=max(progress.index, 1),
            n=progress.total,
            t=seconds_text(progress.elapsed),
        )
        rows.append(
            MenuItem(
                text, key="day:primary", action=Action.CANCEL_DAY, project=project_key(project)
            )
        )
        rows.append(MenuItem(steps_line(progress), key="day:steps", enabled=False))
    elif progress.phase is DayPhase.ENDING:
        rows.append(MenuItem(step_text(progress, project), key="day:primary", enabled=False))
    elif progress.phase is DayPhase.READY:
        rows.append(
            MenuItem(
                QT_TRANSLATE_NOOP("day_rows", "Open in {ide}")(ide=ide_name(project)),
                key="day:primary",
                action=Action.OPEN_PROJECT,
                project=project_key(project),
                mnemonic="O",
            )
        )
    else:
        rows.append(_start_row(panel, project, vm, view))
        if progress.phase is DayPhase.FAILED and progress.failure is not None:
            failure = progress.failure
            why = _FAILED(step=failure.step.words, reason=failure.reason)
            rows.append(MenuItem(why, key="day:failure", enabled=False))
    if progress.phase is not DayPhase.READY:
        rows.append(_open_row(panel, project, vm, view))
    rows += [_end_row(panel, vm), _projects_menu(panel, view), SEPARATOR]
    return rows


_DOING_FOR = QT_TRANSLATE_NOOP("day_rows", "{doing} {elapsed}")


def day_tooltip(panel: DayPanel) -> Sequence[Words]:
    """The tooltip's day line: "Starting devbox… 14 s", "Ready · devbox · $0.19/h", why not."""
    progress = panel.progress
    project = panel.selected
    vm = printable(progress.vm_name or (project.vm if project and project.vm else ""))
    if progress.phase in (DayPhase.STARTING, DayPhase.ENDING):
        return [
            _DOING_FOR(doing=step_text(progress, project), elapsed=seconds_text(progress.elapsed))
        ]
    if progress.phase is DayPhase.READY:
        return [_ready(panel, vm)]
    if progress.phase is DayPhase.FAILED and progress.failure is not None:
        failure = progress.failure
        return [_FAILED(step=failure.step.words, reason=failure.reason)]
    if progress.ended is not None:
        return [progress.ended.words()]
    return []
