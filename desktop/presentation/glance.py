"""What the tray shows at a glance: one immutable view of my VMs, the icon state, the tooltip.

The tray never keeps its own idea of "is it running": it renders the latest `TrayView`, which
the Qt controller replaces (never mutates) whenever a cloud call returns.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from desktop.core import errors
from desktop.core.humanize import duration_text, printable, uptime_text
from desktop.core.model import ResizePlan, VmSnapshot, VmState
from desktop.core.text import QT_TRANSLATE_NOOP, Clock, Text, Words

_UNEXPECTED_TITLE = QT_TRANSLATE_NOOP("glance", "Something went wrong")
_UNEXPECTED = QT_TRANSLATE_NOOP("glance", "An unexpected error happened: {error}")
_UNEXPECTED_HINT = QT_TRANSLATE_NOOP(
    "glance", "Copy the details into a bug report; the log has the full story."
)
_TITLE_DEMO = QT_TRANSLATE_NOOP("glance", "devtray (Demo)")
_SUMMARY = QT_TRANSLATE_NOOP("glance", "{vm} — {state}, {size}")
_SUMMARY_UP = QT_TRANSLATE_NOOP("glance", "{vm} — {state}, {size}, up {up}")
_PROBLEM = QT_TRANSLATE_NOOP("glance", "{title}: {message}")
LOOKING = QT_TRANSLATE_NOOP("glance", "Looking for your VMs…")
NO_VMS = QT_TRANSLATE_NOOP("glance", "No VMs of yours were found")
CLAIMING = QT_TRANSLATE_NOOP("glance", "Claiming {vm}…")
_RESIZE_RESTART = QT_TRANSLATE_NOOP(
    "glance", "Stops the VM, changes it to {size} and starts it again (~{about})."
)
_RESIZE_STOP = QT_TRANSLATE_NOOP("glance", "Stops the VM and changes it to {size} (~{about}).")
_RESIZE_STOPPED = QT_TRANSLATE_NOOP(
    "glance", "Changes the stopped VM to {size} (~{about}); it stays stopped."
)
# The words for each state and operation, as the tray shows them ("running", "starting").
STATE_WORDS: dict[str, Text] = {
    "starting": QT_TRANSLATE_NOOP("glance", "starting", "VM state"),
    "running": QT_TRANSLATE_NOOP("glance", "running", "VM state"),
    "stopping": QT_TRANSLATE_NOOP("glance", "stopping", "VM state"),
    "stopped": QT_TRANSLATE_NOOP("glance", "stopped", "VM state"),
    "resizing": QT_TRANSLATE_NOOP("glance", "resizing", "VM state"),
    "claiming": QT_TRANSLATE_NOOP("glance", "claiming", "VM state"),
    "terminated": QT_TRANSLATE_NOOP("glance", "terminated", "VM state"),
    "unknown": QT_TRANSLATE_NOOP("glance", "unknown", "VM state"),
}


def state_words(state: enum.Enum) -> Words:
    """A VM state or tray operation as the tray says it (`running`, translatable)."""
    return STATE_WORDS.get(str(state.value), str(state.value))


class Operation(enum.StrEnum):
    """What the tray itself is doing to a VM right now (one operation per VM at a time)."""

    STARTING = "starting"
    STOPPING = "stopping"
    RESIZING = "resizing"
    CLAIMING = "claiming"  # taking a VM from a lab's pool (it is not mine until it is done)


class ProblemKind(enum.Enum):
    """Why the tray cannot show fresh state."""

    SIGN_IN = "sign-in"
    OFFLINE = "offline"
    ERROR = "error"


@dataclass(frozen=True)
class Problem:
    """A user-facing error, reduced to the text the tray shows; `details` for "Copy details"."""

    kind: ProblemKind
    title: str
    message: str
    hint: str | None = None
    details: str | None = None

    @classmethod
    def from_error(
        cls,
        error: BaseException,
        details: str | None = None,
        render: Callable[[Words], str] = str,
    ) -> Problem:
        """The problem for an exception: typed errors keep their words, others are bugs (their
        words in the language `render` writes; the tray passes its translator)."""
        if isinstance(error, errors.DevtrayError):
            kind = ProblemKind.ERROR
            if isinstance(error, errors.AuthExpired):
                kind = ProblemKind.SIGN_IN
            elif isinstance(error, errors.Offline):
                kind = ProblemKind.OFFLINE
            return cls(kind, error.title, error.message, error.hint, details)
        return cls(
            ProblemKind.ERROR,
            render(_UNEXPECTED_TITLE),
            render(_UNEXPECTED(error=f"{type(error).__name__}: {error}")),
            render(_UNEXPECTED_HINT),
            details,
        )

    def text(self) -> str:
        """Message and hint, as a person reads them."""
        return f"{self.message}\n{self.hint}" if self.hint else self.message


def _frozen_ops(value: Mapping[str, Operation] | None = None) -> Mapping[str, Operation]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class TrayView:
    """Everything the tray renders, as of the last cloud answer."""

    vms: tuple[VmSnapshot, ...] = ()
    loaded: bool = False
    busy: Mapping[str, Operation] = field(default_factory=_frozen_ops)
    problem: Problem | None = None
    demo: bool = False
    claimable: tuple[VmSnapshot, ...] = ()  # pool VMs I may claim (looked up when I have none)
    as_of: datetime | None = None  # when the cloud last answered (the VMs are as of then)
    retry_at: datetime | None = None  # while offline: when the next look is due

    def __post_init__(self) -> None:
        object.__setattr__(self, "busy", _frozen_ops(self.busy))

    def vm(self, vm_id: str) -> VmSnapshot | None:
        """The VM with this id, if the tray knows it."""
        return next((vm for vm in self.vms if vm.id == vm_id), None)

    def with_vm(self, snapshot: VmSnapshot) -> TrayView:
        """This view with one VM's snapshot replaced (or added)."""
        vms = tuple(snapshot if vm.id == snapshot.id else vm for vm in self.vms)
        if snapshot.id not in {vm.id for vm in self.vms}:
            vms += (snapshot,)
        return replace(self, vms=vms)

    def with_busy(self, vm_id: str, operation: Operation | None) -> TrayView:
        """This view with the tray's operation on `vm_id` set (or cleared with None)."""
        busy = dict(self.busy)
        if operation is None:
            busy.pop(vm_id, None)
        else:
            busy[vm_id] = operation
        return replace(self, busy=busy)

    @property
    def offline(self) -> bool:
        """True while the cloud cannot be reached."""
        return self.problem is not None and self.problem.kind is ProblemKind.OFFLINE


@dataclass(frozen=True)
class RecentProblem:
    """A problem the tray reported, kept for the menu's "Problems" submenu until resolved."""

    id: int  # stable while it is listed: a menu row opens exactly this one
    problem: Problem
    at: datetime
    from_poll: bool = False  # the cloud's own state (offline, sign-in): a good look resolves it

    def label(self) -> Text:
        """`Can't reach AWS (10:42)`."""
        return _PROBLEM_AT(title=self.problem.title, at=Clock(self.at.astimezone()))


_PROBLEM_AT = QT_TRANSLATE_NOOP("glance", "{title} ({at})")
_AS_OF = QT_TRANSLATE_NOOP("glance", "as of {at} — offline")
_RETRYING_IN = QT_TRANSLATE_NOOP("glance", "as of {at} — offline, retrying in %n s", None, 1)
_RETRYING_NOW = QT_TRANSLATE_NOOP("glance", "as of {at} — offline, retrying now")


def offline_note(view: TrayView, now: datetime) -> Text | None:
    """`as of 10:42 — offline, retrying in 20 s` while offline with VMs last seen, else None."""
    if not view.offline or view.as_of is None:
        return None
    at = Clock(view.as_of.astimezone())
    if view.retry_at is None:
        return _AS_OF(at=at)
    seconds = max(0, round((view.retry_at - now).total_seconds()))
    return _RETRYING_IN(seconds, at=at) if seconds else _RETRYING_NOW(at=at)


class IconState(enum.StrEnum):
    """The icons; their SVGs are `resources/icons/devtray-<value>.svg`."""

    STOPPED = "stopped"
    TRANSITION = "transition"
    RUNNING = "running"
    ERROR = "error"
    SIGN_IN = "signin"
    OFFLINE = "offline"  # a "can't reach the cloud" badge, not the error red


def icon_state(view: TrayView) -> IconState:
    """The icon for the view: a problem first, then any change under way, then running."""
    if view.problem is not None:
        if view.problem.kind is ProblemKind.OFFLINE:
            return IconState.OFFLINE
        return IconState.SIGN_IN if view.problem.kind is ProblemKind.SIGN_IN else IconState.ERROR
    if view.busy or any(vm.state.is_transition for vm in view.vms):
        return IconState.TRANSITION
    if any(vm.state is VmState.RUNNING for vm in view.vms):
        return IconState.RUNNING
    return IconState.STOPPED


def app_title(view: TrayView) -> Words:
    """`devtray`, or `devtray (Demo)` so the demo is never mistaken for a real cloud."""
    return _TITLE_DEMO if view.demo else "devtray"


def vm_state_text(vm: VmSnapshot, busy: Operation | None = None) -> Words:
    """`running`, or what the tray is doing when the cloud has not caught up yet."""
    if busy is not None and not vm.state.is_transition:
        return state_words(busy)
    return state_words(vm.state)


def vm_summary(vm: VmSnapshot, busy: Operation | None = None, now: datetime | None = None) -> Text:
    """`devbox — running, t3.large, up 2h 05m` (the name made printable)."""
    state = vm_state_text(vm, busy)
    up = uptime_text(vm, now)
    if up is None:
        return _SUMMARY(vm=printable(vm.name), state=state, size=printable(vm.size))
    return _SUMMARY_UP(vm=printable(vm.name), state=state, size=printable(vm.size), up=up)


def claims_under_way(view: TrayView) -> list[str]:
    """The VMs the tray is claiming now (they are not in `vms` until the claim is done)."""
    return [vm_id for vm_id, op in view.busy.items() if op is Operation.CLAIMING]


def tooltip(view: TrayView, now: datetime | None = None) -> list[Words]:
    """The tray tooltip's lines: title, then one per VM (or the problem, or what is happening)."""
    lines: list[Words] = [app_title(view)]
    if view.problem is not None:
        lines.append(_PROBLEM(title=view.problem.title, message=view.problem.message))
    if not view.loaded and view.problem is None:
        lines.append(LOOKING)
    elif view.loaded and not view.vms:
        lines.append(NO_VMS)
    lines += [CLAIMING(vm=printable(vm_id)) for vm_id in claims_under_way(view)]
    lines += [vm_summary(vm, view.busy.get(vm.id), now) for vm in view.vms]
    return lines


# When the provider cannot say: a stop and a start take about a minute each on the big clouds.
_TYPICAL_RESIZE_SECONDS = {True: 120.0, False: 15.0}


def describe_resize(plan: ResizePlan) -> Text:
    """What a resize will do and roughly how long it takes, for the person about to confirm."""
    seconds = plan.estimated_seconds
    if seconds is None:
        seconds = _TYPICAL_RESIZE_SECONDS[plan.needs_stop]
    about = duration_text(seconds)
    size = printable(plan.target.name)
    if plan.needs_stop and plan.restart_after:
        return _RESIZE_RESTART(size=size, about=about)
    if plan.needs_stop:
        return _RESIZE_STOP(size=size, about=about)
    return _RESIZE_STOPPED(size=size, about=about)
