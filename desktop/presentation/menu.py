"""The tray menu as plain data, built from the latest `TrayView` each time the menu opens.

No Qt here: `desktop/qt/menu_render.py` turns these items into a QMenu, and the unit tests read
them directly. An action that cannot run now stays visible, disabled, with the reason in its
label ("Start — already starting").

Other features add rows through `MenuContribution`s that the composition root passes to the
tray. Each contribution fills one `MenuSlot` of every VM's section:

    class CostLine:
        slot = MenuSlot.COST
        def items(self, vm: VmSnapshot, view: TrayView) -> Sequence[MenuItem]:
            today = Money(self.cache.today(vm.id))
            return (MenuItem(COST_TODAY(cost=today), key="cost"),)  # a QT_TRANSLATE_NOOP

`items()` runs on the GUI thread whenever the menu opens, so it must only read state the
contribution already holds (no cloud or disk calls). Texts are `Text`s declared with
`QT_TRANSLATE_NOOP` (see `desktop.core.text`): the tray translates them, `str()` reads them in
English. An item's `run` callable is what its click does; the tray runs it on a worker thread
and shows any error it raises like every other error. A slot nobody fills shows a disabled
placeholder, so the menu's shape is stable from day one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from desktop.core.humanize import printable, uptime_text
from desktop.core.model import VmSnapshot, VmState
from desktop.core.shutdown import auto_stop_text
from desktop.core.text import QT_TRANSLATE_NOOP, Text, Words
from desktop.presentation.glance import (
    CLAIMING,
    LOOKING,
    NO_VMS,
    Operation,
    ProblemKind,
    RecentProblem,
    TrayView,
    app_title,
    claims_under_way,
    offline_note,
    state_words,
    vm_summary,
)


class Action(enum.StrEnum):
    """The tray's own actions; the Qt layer maps each to what it does."""

    START = "start"
    STOP = "stop"
    RESIZE = "resize"
    CLAIM = "claim"
    START_DAY = "start-day"  # the day of `MenuItem.project` (sign-in -> VM -> ... -> IDE)
    CANCEL_DAY = "cancel-day"  # cancel the running bring-up (what was done is undone)
    END_DAY = "end-day"  # flush, tunnels and sync off, VM stopped
    OPEN_PROJECT = "open-project"  # the project in its IDE, against the running VM
    START_AND_OPEN = "start-and-open"  # the VM is stopped: start the day, then open
    ADD_PROJECT = "add-project"  # a folder chooser; the folder joins [[projects]]
    SET_UP_DAY = "set-up-day"  # the first-run form: VM, folder, IDE, remote folder
    SHOW_PROBLEM = "show-problem"  # `MenuItem.problem_id`'s details (the latest when None)
    RETRY = "retry"  # look at the cloud now (offline)
    SIGN_IN = "sign-in"
    SETTINGS = "settings"
    SHOW_LOG = "show-log"
    QUIT = "quit"


class MenuSlot(enum.StrEnum):
    """Places in each VM's section that other features fill (see the module docstring)."""

    COST = "cost"  # a line under the VM's state: what it costs (issue 7)
    SYNC = "sync"  # file sync status and actions (issue 4/5)
    TUNNELS = "tunnels"  # forwarded ports (issue 4/5)
    OPEN_IN = "open-in"  # Open in VS Code / PyCharm (issue 4)


@dataclass(frozen=True)
class MenuItem:
    """One row: an action, an information line, a separator or a submenu."""

    text: Words = ""
    key: str = ""  # stable id (the QAction's objectName): tests and the e2e test find rows by it
    action: Action | None = None
    vm_id: str | None = None
    enabled: bool = True
    reason: Words | None = None  # why it is disabled, shown after the text
    run: Callable[[], object] | None = None  # a contributed action, run on a worker thread
    children: tuple[MenuItem, ...] = ()
    separator: bool = False
    mnemonic: str = ""  # a letter of `text` that opens the row from the keyboard (S for Start)
    project: str | None = None  # the project folder a day row is about
    ide: str | None = None  # the IDE a Start-and-open row opens (else the project's own)
    problem_id: int | None = None  # the recent problem a "Problems" row opens

    @property
    def label(self) -> Words:
        """The text shown: `Start — already starting` when disabled with a reason."""
        if self.reason and not self.enabled:
            return _WITH_REASON(text=self.text, reason=self.reason)
        return self.text

    @property
    def is_submenu(self) -> bool:
        """True when the item opens a submenu."""
        return bool(self.children)


_WITH_REASON = QT_TRANSLATE_NOOP("menu", "{text} — {reason}")
SEPARATOR = MenuItem(separator=True)


class MenuContribution(Protocol):
    """Rows another feature adds to each VM's section (see the module docstring)."""

    @property
    def slot(self) -> MenuSlot:
        """The place the rows go."""
        ...

    def items(self, vm: VmSnapshot, view: TrayView) -> Sequence[MenuItem]:
        """The rows for one VM; fast and side-effect free (it runs as the menu opens)."""
        ...


# What each empty slot shows until its feature lands: visible, disabled, and saying so.
_NOT_AVAILABLE = QT_TRANSLATE_NOOP("menu", "not available yet")
_NOT_SET_UP = QT_TRANSLATE_NOOP("menu", "not set up yet")
PLACEHOLDERS: Mapping[MenuSlot, tuple[tuple[Text, Text], ...]] = {
    MenuSlot.COST: (
        (QT_TRANSLATE_NOOP("menu", "Cost"), QT_TRANSLATE_NOOP("menu", "not tracked yet")),
    ),
    MenuSlot.SYNC: ((QT_TRANSLATE_NOOP("menu", "Sync"), _NOT_SET_UP),),
    MenuSlot.TUNNELS: ((QT_TRANSLATE_NOOP("menu", "Tunnels"), _NOT_SET_UP),),
    MenuSlot.OPEN_IN: (
        (QT_TRANSLATE_NOOP("menu", "Open in VS Code"), _NOT_AVAILABLE),
        (QT_TRANSLATE_NOOP("menu", "Open in PyCharm"), _NOT_AVAILABLE),
    ),
}
OFFLINE = QT_TRANSLATE_NOOP("menu", "offline")
_NOT_NOW = QT_TRANSLATE_NOOP("menu", "wait until it is running or stopped")
_COMMON = {
    VmState.RESIZING: QT_TRANSLATE_NOOP("menu", "resizing"),
    VmState.TERMINATED: QT_TRANSLATE_NOOP("menu", "the VM is terminated"),
    VmState.UNKNOWN: QT_TRANSLATE_NOOP("menu", "state unknown"),
}
# Why each lifecycle action cannot run in a state (a state not listed: it can run).
_REASONS: Mapping[Action, Mapping[VmState, Text]] = {
    Action.START: {
        **_COMMON,
        VmState.RUNNING: QT_TRANSLATE_NOOP("menu", "already running"),
        VmState.STARTING: QT_TRANSLATE_NOOP("menu", "already starting"),
        VmState.STOPPING: QT_TRANSLATE_NOOP("menu", "wait until it has stopped"),
    },
    Action.STOP: {
        **_COMMON,
        VmState.STOPPED: QT_TRANSLATE_NOOP("menu", "already stopped"),
        VmState.STOPPING: QT_TRANSLATE_NOOP("menu", "already stopping"),
        VmState.STARTING: QT_TRANSLATE_NOOP("menu", "wait until it is running"),
    },
    Action.RESIZE: {
        **_COMMON,
        VmState.RESIZING: _NOT_NOW,
        VmState.UNKNOWN: _NOT_NOW,
        VmState.STARTING: _NOT_NOW,
        VmState.STOPPING: _NOT_NOW,
    },
}
_OWN_OPERATION = {
    Action.START: Operation.STARTING,
    Action.STOP: Operation.STOPPING,
    Action.RESIZE: Operation.RESIZING,
}


_ALREADY = QT_TRANSLATE_NOOP("menu", "already {doing}")
_BUSY = QT_TRANSLATE_NOOP("menu", "busy {doing}")


def disabled_reason(
    action: Action, vm: VmSnapshot, busy: Operation | None, offline: bool
) -> Text | None:
    """Why a lifecycle action cannot run now, or None when it can."""
    if offline:
        return OFFLINE
    if busy is not None:
        doing = state_words(busy)
        return _ALREADY(doing=doing) if busy is _OWN_OPERATION[action] else _BUSY(doing=doing)
    return _REASONS[action].get(vm.state)


def _action(text: Text, action: Action, vm: VmSnapshot, view: TrayView, mnemonic: str) -> MenuItem:
    reason = disabled_reason(action, vm, view.busy.get(vm.id), view.offline)
    return MenuItem(
        text=text,
        key=f"{action}:{vm.id}",
        action=action,
        vm_id=vm.id,
        enabled=reason is None,
        reason=reason,
        mnemonic=mnemonic,
    )


def _slot_items(
    slot: MenuSlot,
    vm: VmSnapshot,
    view: TrayView,
    contributions: Sequence[MenuContribution],
) -> list[MenuItem]:
    filled = [c for c in contributions if c.slot is slot]
    if not filled:
        return [
            MenuItem(text=text, key=f"{slot}:{vm.id}:placeholder:{n}", enabled=False, reason=reason)
            for n, (text, reason) in enumerate(PLACEHOLDERS[slot])
        ]
    return [item for contribution in filled for item in contribution.items(vm, view)]


_STATE = QT_TRANSLATE_NOOP("menu", "State: {state} · {size}")
_UP = QT_TRANSLATE_NOOP("menu", "up {up}")
_AND = QT_TRANSLATE_NOOP("menu", "{facts} · {fact}")


def vm_section(
    vm: VmSnapshot,
    view: TrayView,
    contributions: Sequence[MenuContribution] = (),
    now: datetime | None = None,
) -> list[MenuItem]:
    """One VM's rows: what it is, the lifecycle actions, then the contributed slots."""
    busy = view.busy.get(vm.id)
    now = now or datetime.now(UTC)
    state = state_words(busy if busy and not vm.state.is_transition else vm.state)
    facts: Words = _STATE(state=state, size=printable(vm.size))
    up = uptime_text(vm, now)
    if up is not None:
        facts = _AND(facts=facts, fact=_UP(up=up))
    if vm.auto_stop is not None:  # the cloud's own schedule (an Azure lab's shutdown)
        facts = _AND(facts=facts, fact=auto_stop_text(vm.auto_stop, now))
    # Offline, the rows stay where they were (greyed, as last seen): only the name says so.
    note = offline_note(view, now)
    name: Words = _AND(facts=printable(vm.name), fact=note) if note else printable(vm.name)
    return [
        MenuItem(text=name, key=f"name:{vm.id}", enabled=False),
        MenuItem(text=facts, key=f"state:{vm.id}", enabled=False),
        *_slot_items(MenuSlot.COST, vm, view, contributions),
        SEPARATOR,
        _action(QT_TRANSLATE_NOOP("menu", "Start"), Action.START, vm, view, "S"),
        _action(QT_TRANSLATE_NOOP("menu", "Stop"), Action.STOP, vm, view, "t"),
        _action(QT_TRANSLATE_NOOP("menu", "Resize…"), Action.RESIZE, vm, view, "R"),
        SEPARATOR,
        *_slot_items(MenuSlot.SYNC, vm, view, contributions),
        *_slot_items(MenuSlot.TUNNELS, vm, view, contributions),
        *_slot_items(MenuSlot.OPEN_IN, vm, view, contributions),
    ]


_PROBLEM = QT_TRANSLATE_NOOP("menu", "⚠ {title}: details…")


def _status_rows(view: TrayView) -> list[MenuItem]:
    rows: list[MenuItem] = []
    # Offline with VMs last seen: each VM's name row says so (no row pushes the others down).
    offline_with_vms = view.offline and view.as_of is not None and bool(view.vms)
    if view.problem is not None and not offline_with_vms:
        rows.append(
            MenuItem(
                text=_PROBLEM(title=view.problem.title),
                key="problem",
                action=Action.SHOW_PROBLEM,
            )
        )
    if not view.loaded and view.problem is None:
        rows.append(MenuItem(text=LOOKING, key="loading", enabled=False))
    elif view.loaded and not view.vms:
        rows.append(
            MenuItem(
                text=NO_VMS,
                key="no-vms",
                enabled=False,
                reason=QT_TRANSLATE_NOOP("menu", "check the owner tag and region in Settings…"),
            )
        )
        rows += _claim_rows(view)
    return rows


_OFFER = QT_TRANSLATE_NOOP("menu", "{vm} ({size}, {state})")


def _claim_rows(view: TrayView) -> list[MenuItem]:
    """Offer "Claim a VM…" when a lab's pool has VMs for me; a progress row while one runs."""
    claiming = claims_under_way(view)
    if claiming:
        return [
            MenuItem(text=CLAIMING(vm=printable(vm_id)), key=f"claiming:{vm_id}", enabled=False)
            for vm_id in claiming
        ]
    if not view.claimable:
        return []
    offers = tuple(
        MenuItem(
            text=_OFFER(vm=printable(vm.id), size=printable(vm.size), state=state_words(vm.state)),
            key=f"{Action.CLAIM}:{vm.id}",
            action=Action.CLAIM,
            vm_id=vm.id,
            enabled=not view.offline,
            reason=OFFLINE,
        )
        for vm in view.claimable
    )
    return [MenuItem(text=QT_TRANSLATE_NOOP("menu", "Claim a VM…"), key="claim", children=offers)]


def trouble_rows(view: TrayView, problems: Sequence[RecentProblem]) -> list[MenuItem]:
    """ "Retry now" while offline, and "Problems ▸" with each unresolved problem (newest first)."""
    rows: list[MenuItem] = []
    if view.offline:
        retry = QT_TRANSLATE_NOOP("menu", "Retry now")
        rows.append(MenuItem(text=retry, key="retry", action=Action.RETRY, mnemonic="n"))
    if problems:
        children = tuple(
            MenuItem(
                text=recent.label(),
                key=f"problem:{recent.id}",
                action=Action.SHOW_PROBLEM,
                problem_id=recent.id,
            )
            for recent in reversed(problems)
        )
        problems_row = QT_TRANSLATE_NOOP("menu", "Problems")
        rows.append(MenuItem(text=problems_row, key="problems", children=children, mnemonic="b"))
    return rows


def build_menu(
    view: TrayView,
    contributions: Sequence[MenuContribution] = (),
    now: datetime | None = None,
    top: Sequence[MenuItem] = (),
    problems: Sequence[RecentProblem] = (),
) -> tuple[MenuItem, ...]:
    """The whole menu: title, the day's rows (`top`), my VM (a submenu each when there are
    several), then Retry now / Problems and the app rows."""
    now = now or datetime.now(UTC)
    items: list[MenuItem] = [MenuItem(text=app_title(view), key="title", enabled=False)]
    items += _status_rows(view)
    items += top
    if len(view.vms) == 1:
        items += vm_section(view.vms[0], view, contributions, now)
    else:
        for vm in view.vms:
            section = tuple(vm_section(vm, view, contributions, now))
            summary: Words = vm_summary(vm, view.busy.get(vm.id), now)
            note = offline_note(view, now)
            summary = _AND(facts=summary, fact=note) if note else summary
            items.append(MenuItem(text=summary, key=f"vm:{vm.id}", children=section))
    signing_in_needed = view.problem is not None and view.problem.kind is ProblemKind.SIGN_IN
    items.append(SEPARATOR)
    items += trouble_rows(view, problems)
    items += [
        MenuItem(
            text=QT_TRANSLATE_NOOP("menu", "Sign in… (needed)")
            if signing_in_needed
            else QT_TRANSLATE_NOOP("menu", "Sign in…"),
            key="sign-in",
            action=Action.SIGN_IN,
            mnemonic="i",
        ),
        MenuItem(
            text=QT_TRANSLATE_NOOP("menu", "Settings…"),
            key="settings",
            action=Action.SETTINGS,
            mnemonic="e",
        ),
        MenuItem(
            text=QT_TRANSLATE_NOOP("menu", "Show log…"),
            key="show-log",
            action=Action.SHOW_LOG,
            mnemonic="l",
        ),
        SEPARATOR,
        MenuItem(
            text=QT_TRANSLATE_NOOP("menu", "Quit"), key="quit", action=Action.QUIT, mnemonic="Q"
        ),
    ]
    return tuple(items)
