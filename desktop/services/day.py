"""The day: `bring_up` a project (sign-in -> VM -> SSH -> tunnels -> sync -> IDE) and
`wind_down` it (flush -> tunnels and sync off -> VM stopped -> what the day cost).

Both run on the caller's thread (the tray's worker, or the CLI's main thread) and report as a
stream of `DayEvent`s to a listener, each carrying a `DayProgress` snapshot the faces render as
is ("Starting devbox… (step 2 of 7)", "Syncing 3,214 files…"). A `CancelToken` stops a bring-up
between (and inside the long) steps. A step that fails or is cancelled undoes every step done
before it, newest first, so nothing is left half-running; the VM itself is only stopped again
when this bring-up started it.

Steps run in `DayStep`'s order. The SSH config is written before SSH is probed because the
probe goes through the alias the block defines (that is what the IDEs will use too).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from desktop.core.errors import DevtrayError
from desktop.core.model import VmSnapshot
from desktop.core.project import Project
from desktop.core.provider import CancelToken, Provider
from desktop.core.spend_tracker import SpendTracker
from desktop.services.config import ConfigSource
from desktop.services.connect import ConnectService
from desktop.services.day_store import DayRecord, DayStore
from desktop.services.sync import SyncService


class DayStep(enum.StrEnum):
    """The steps of a day's bring-up, in the order they run."""

    SIGNED_IN = "signed_in"
    VM_STARTED = "vm_started"
    SSH_CONFIG = "ssh_config"
    SSH_READY = "ssh_ready"
    TUNNELS = "tunnels"
    SYNC = "sync"
    IDE_OPEN = "ide_open"

    @property
    def label(self) -> str:
        """Short words for the step ("✓ signed in   … SSH   … tunnels")."""
        return _LABELS[self]


_LABELS = {
    DayStep.SIGNED_IN: "signed in",
    DayStep.VM_STARTED: "VM started",
    DayStep.SSH_CONFIG: "SSH config",
    DayStep.SSH_READY: "SSH",
    DayStep.TUNNELS: "tunnels",
    DayStep.SYNC: "sync",
    DayStep.IDE_OPEN: "open",
}


class StepState(enum.StrEnum):
    """Where one step stands."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"  # nothing to do (VM already running, no ports, open_ide off)
    FAILED = "failed"
    UNDONE = "undone"  # was done, then rolled back after a later failure or a cancel


class DayPhase(enum.StrEnum):
    """The day as a whole."""

    IDLE = "idle"  # no day (or it ended)
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"  # a step failed; everything before it was undone
    CANCELLED = "cancelled"
    ENDING = "ending"


class DayEventKind(enum.StrEnum):
    """What just happened (the snapshot says where the day stands now)."""

    STEP_STARTED = "step_started"
    STEP_DETAIL = "step_detail"  # the running step's detail text changed
    STEP_FINISHED = "step_finished"  # done or skipped
    STEP_UNDONE = "step_undone"
    FAILED = "failed"
    CANCELLED = "cancelled"
    READY = "ready"
    ENDING = "ending"
    ENDED = "ended"


@dataclass(frozen=True)
class StepFailure:
    """Which step failed and why, in words a person can act on."""

    step: DayStep
    reason: str
    hint: str | None = None

    def describe(self) -> str:
        """'SSH failed: Permission denied (publickey)'."""
        return f"{self.step.label} failed: {self.reason}"


@dataclass(frozen=True)
class DayReady:
    """A day that is up: what `devtray up` prints as `Ready: ALIAS PATH`."""

    project_root: Path
    vm_id: str
    vm_name: str
    alias: str
    remote_path: str

    def describe(self) -> str:
        """`Ready: ALIAS PATH`."""
        return f"Ready: {self.alias} {self.remote_path}"


@dataclass(frozen=True)
class DayEnded:
    """What `wind_down` did, and what the day cost when the spend tracker knows."""

    vm_name: str
    stopped: bool
    running_for: timedelta | None = None  # today's running time
    cost: float | None = None  # today's estimated cost
    currency: str = "USD"

    def describe(self) -> str:
        """'Today: 7 h 12 min, $1.37' (or as much of it as is known)."""
        parts = []
        if self.running_for is not None:
            minutes = int(self.running_for.total_seconds() // 60)
            hours, minutes = divmod(minutes, 60)
            parts.append(f"{hours} h {minutes:02d} min" if hours else f"{minutes} min")
        if self.cost is not None:
            symbol = "$" if self.currency == "USD" else f"{self.currency} "
            parts.append(f"{symbol}{self.cost:.2f}")
        return "Today: " + ", ".join(parts) if parts else f"{self.vm_name} stopped."


@dataclass(frozen=True)
class DayProgress:
    """One snapshot of the day, rendered as is by the tray's rows and the CLI's lines."""

    phase: DayPhase = DayPhase.IDLE
    project_name: str | None = None
    vm_name: str | None = None
    steps: tuple[tuple[DayStep, StepState], ...] = tuple(
        (step, StepState.PENDING) for step in DayStep
    )
    current: DayStep | None = None
    elapsed: float = 0.0  # seconds since the bring-up (or wind-down) began
    detail: str = ""  # the running step's detail: "Syncing 3,214 files…"
    failure: StepFailure | None = None
    ready: DayReady | None = None
    ended: DayEnded | None = None

    @property
    def total(self) -> int:
        """How many steps this day runs (skipped ones included: the count never jumps)."""
        return len(self.steps)

    @property
    def index(self) -> int:
        """The current step's number, 1-based (0 before the first)."""
        if self.current is None:
            return 0
        return [step for step, _ in self.steps].index(self.current) + 1

    def state_of(self, step: DayStep) -> StepState:
        """Where `step` stands."""
        return dict(self.steps)[step]


@dataclass(frozen=True)
class DayEvent:
    """One event of the stream a listener hears, with the day's snapshot after it."""

    kind: DayEventKind
    progress: DayProgress
    step: DayStep | None = None
    text: str = ""  # the line `devtray up` prints for it ("starting devbox (now stopped)...")


DayListener = Callable[[DayEvent], None]


class DayFailed(DevtrayError):
    """A step of the day failed; what was done before it has been undone."""

    title = "Could not start the day"

    def __init__(self, failure: StepFailure) -> None:
        super().__init__(failure.describe(), hint=failure.hint)
        self.failure = failure


class DayCancelled(DevtrayError):
    """The user cancelled the bring-up; what was done has been undone."""

    title = "Start cancelled"


class DayService:
    """The one owner of the day: runs bring-up and wind-down, keeps the latest snapshot,
    remembers a running day across restarts and follows the VM's state (stopped -> sync and
    tunnels end; running again -> they come back)."""

    def __init__(
        self,
        *,
        providers: Callable[[], Sequence[Provider]],
        config: ConfigSource,
        connect: ConnectService,
        sync: SyncService,
        store: DayStore,
        spend: SpendTracker | None = None,
    ) -> None:
        raise NotImplementedError

    def latest(self) -> DayProgress:
        """The day's latest snapshot (no I/O: safe on the GUI thread as the menu opens)."""
        raise NotImplementedError

    def record(self) -> DayRecord | None:
        """The running day, as persisted (None when no day runs)."""
        raise NotImplementedError

    def bring_up(
        self,
        project: Project,
        *,
        listener: DayListener | None = None,
        cancel: CancelToken | None = None,
        open_ide: bool = False,
    ) -> DayReady:
        """Start the day for `project`; raises `DayFailed` / `DayCancelled` after undoing."""
        raise NotImplementedError

    def wind_down(
        self,
        project_root: Path | None = None,
        *,
        listener: DayListener | None = None,
        stop_vm: bool = True,
    ) -> DayEnded:
        """End my day: flush sync, end tunnels and sync, stop the VM, say what it cost.

        Refuses (InvalidState) to stop a VM whose sync could not finish: nothing is lost."""
        raise NotImplementedError

    def resume(self, vms: Sequence[VmSnapshot]) -> DayReady | None:
        """At tray start: bring back the sync and tunnels of a recorded day whose VM runs."""
        raise NotImplementedError

    def on_vm(self, vm: VmSnapshot, vms: Sequence[VmSnapshot]) -> None:
        """With each fresh snapshot: a stopped day's VM ends its sync and tunnels; when it runs
        again (started by anyone) they come back."""
        raise NotImplementedError

    def before_stop(self, vm: VmSnapshot) -> str | None:
        """Before anyone stops `vm`: flush its sync and end sync and tunnels. None when the VM
        holds everything, else why not (the caller then keeps the VM running)."""
        raise NotImplementedError

    def close(self, *, forget: bool) -> None:
        """Stop the day's children (quit, or Ctrl-C of a CLI-owned day); the VM stays up.
        `forget` drops the record so no restart resumes it."""
        raise NotImplementedError
