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
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from desktop.core import errors
from desktop.core.cost import local_day_start, running_between
from desktop.core.errors import DevtrayError
from desktop.core.forwards import wanted_forwards
from desktop.core.model import VmSnapshot, VmState
from desktop.core.polling import wait_for_state
from desktop.core.project import Project, load_project
from desktop.core.provider import CancelToken, Provider
from desktop.core.selection import choose_vm
from desktop.core.spend_tracker import SpendTracker
from desktop.core.stop_intent import StopSource, record_user_stop
from desktop.core.sync_state import SyncPhase, SyncStatus
from desktop.core.text import QT_TRANSLATE_NOOP, Money, Text
from desktop.remote import ide
from desktop.remote.ssh_probe import ProbeAnswer
from desktop.remote.sync.engine import SyncEngine
from desktop.services.config import ConfigSource
from desktop.services.connect import ConnectService
from desktop.services.day_store import DayRecord, DayStore
from desktop.services.sync import SyncService

log = logging.getLogger(__name__)

SSH_WAIT = 180.0
TUNNEL_WAIT = 30.0
INITIAL_SYNC_WAIT = 1800.0
# An initial sync that fails this long in a row (no success between) will not heal by itself.
SYNC_GIVE_UP = 15.0
_WATCH_INTERVAL = 0.2
# States in which a VM's sync and tunnels cannot work (a STARTING snapshot may just be late).
_GONE = frozenset({VmState.STOPPING, VmState.STOPPED, VmState.TERMINATED})


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
    def words(self) -> Text:
        """Short words for the step ("✓ signed in   … SSH   … tunnels"), translatable."""
        return _LABELS[self]

    @property
    def label(self) -> str:
        """The step's words in English."""
        return str(_LABELS[self])


_LABELS = {
    DayStep.SIGNED_IN: QT_TRANSLATE_NOOP("day", "signed in"),
    DayStep.VM_STARTED: QT_TRANSLATE_NOOP("day", "VM started"),
    DayStep.SSH_CONFIG: QT_TRANSLATE_NOOP("day", "SSH config"),
    DayStep.SSH_READY: QT_TRANSLATE_NOOP("day", "SSH"),
    DayStep.TUNNELS: QT_TRANSLATE_NOOP("day", "tunnels"),
    DayStep.SYNC: QT_TRANSLATE_NOOP("day", "sync"),
    DayStep.IDE_OPEN: QT_TRANSLATE_NOOP("day", "open", "day step: the IDE is opened"),
}
_TODAY = QT_TRANSLATE_NOOP("day", "Today: {time}, {cost}")
_TODAY_TIME = QT_TRANSLATE_NOOP("day", "Today: {time}")
_TODAY_COST = QT_TRANSLATE_NOOP("day", "Today: {cost}")
_STOPPED = QT_TRANSLATE_NOOP("day", "{vm} stopped.")
_HOURS = QT_TRANSLATE_NOOP("day", "{h} h {m} min")
_MINUTES = QT_TRANSLATE_NOOP("day", "{m} min")


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

    def words(self) -> Text:
        """'Today: 7 h 12 min, $1.37' (or as much of it as is known), translatable."""
        time = None
        if self.running_for is not None:
            minutes = int(self.running_for.total_seconds() // 60)
            hours, minutes = divmod(minutes, 60)
            time = _HOURS(h=hours, m=f"{minutes:02d}") if hours else _MINUTES(m=minutes)
        cost = None if self.cost is None else Money(self.cost, self.currency)
        if time is not None and cost is not None:
            return _TODAY(time=time, cost=cost)
        if time is not None:
            return _TODAY_TIME(time=time)
        if cost is not None:
            return _TODAY_COST(cost=cost)
        return _STOPPED(vm=self.vm_name)

    def describe(self) -> str:
        """'Today: 7 h 12 min, $1.37' in English."""
        return str(self.words())


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
    # Why the day's VM is simulated on this computer (the demo without OpenSSH); None if real.
    simulated: Text | None = None

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

    def __init__(self, failure: StepFailure, exit_code: errors.ExitCode) -> None:
        super().__init__(failure.describe(), hint=failure.hint)
        self.failure = failure
        self.exit_code = exit_code  # the step's own: 2 for a configuration error


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
        self._providers = providers
        self.config = config
        self.connect = connect
        self.sync = sync
        self.store = store
        self.spend = spend
        self._lock = threading.Lock()
        self._busy = threading.Lock()  # one bring-up, wind-down or resume at a time
        self._progress = DayProgress()
        self._subscribers: list[DayListener] = []
        self._seen: dict[str, VmState] = {}

    # -- snapshots -----------------------------------------------------------------------------

    def latest(self) -> DayProgress:
        """The day's latest snapshot (no I/O: safe on the GUI thread as the menu opens)."""
        with self._lock:
            return self._progress

    def record(self) -> DayRecord | None:
        """The running day, as persisted (None when no day runs)."""
        return self.store.load()

    def subscribe(self, listener: DayListener) -> None:
        """Hear every event of every day, whoever started it (the tray's bridge)."""
        self._subscribers.append(listener)

    def _publish(
        self,
        listener: DayListener | None,
        kind: DayEventKind,
        progress: DayProgress,
        step: DayStep | None = None,
        text: str = "",
    ) -> None:
        with self._lock:
            self._progress = progress
        event = DayEvent(kind, progress, step, text)
        for hear in (listener, *self._subscribers):
            if hear is None:
                continue
            try:
                hear(event)
            except Exception:
                # A listener (a terminal that hung up, a torn-down menu) never stops the day.
                log.exception("day listener failed on %s", kind)

    # -- bring up ------------------------------------------------------------------------------

    def bring_up(
        self,
        project: Project,
        *,
        listener: DayListener | None = None,
        cancel: CancelToken | None = None,
        open_ide: bool = False,
        adopt: bool = False,
        ide: str | None = None,
    ) -> DayReady:
        """Start the day for `project`; raises `DayFailed` / `DayCancelled` after undoing.

        When that project's day is already up, it answers Ready at once. `adopt`: the sync may
        take over a VM folder holding files it did not put there (they go to its trash).
        `ide`: the IDE to open (default: the project's `ide`)."""
        with self._one_at_a_time():
            current = self.latest()
            ready = current.ready
            if (
                current.phase is DayPhase.READY
                and ready is not None
                and ready.project_root == project.root
                and self.sync.vm_id() == ready.vm_id
            ):
                self._publish(listener, DayEventKind.READY, current, text=ready.describe())
                return ready
            if ide is not None:
                project = replace(project, ide=ide)
            return _BringUp(self, project, listener, cancel or CancelToken(), open_ide, adopt).run()

    @contextmanager
    def _one_at_a_time(self) -> Iterator[None]:
        if not self._busy.acquire(blocking=False):
            raise errors.InvalidState(
                "The day is already being started or ended.", hint="Wait for it to finish."
            )
        try:
            yield
        finally:
            self._busy.release()

    # -- wind down -----------------------------------------------------------------------------

    def wind_down(
        self,
        project_root: Path | None = None,
        *,
        listener: DayListener | None = None,
        stop_vm: bool = True,
        stopped_by: StopSource = StopSource.END_OF_DAY,
    ) -> DayEnded:
        """End my day: flush sync, end tunnels and sync, stop the VM, say what it cost.

        Refuses (InvalidState) to stop a VM whose sync could not finish: nothing is lost."""
        with self._one_at_a_time():
            record = self.store.load()
            if record is not None and project_root not in (None, record.project_root):
                record = None
            if record is None and project_root is None:
                raise errors.InvalidState(
                    "No day is running.", hint="Name the project: devtray down DIR"
                )
            vm_name: str | None
            if record is not None:
                root, vm_name = record.project_root, record.vm_id
            else:
                assert project_root is not None
                root, vm_name = project_root, load_project(project_root).vm
            provider, vm = self._find_vm(vm_name)
            before = self.latest()
            started = time.monotonic()
            ending = replace(
                before, phase=DayPhase.ENDING, vm_name=vm.name, current=None, failure=None
            )
            self._publish(
                listener, DayEventKind.ENDING, ending, text="flushing sync, ending tunnels..."
            )
            reason = self.before_stop(vm, root)
            if reason is not None:
                self._publish(listener, DayEventKind.FAILED, before, text=reason)
                raise errors.InvalidState(
                    f"Not stopping {vm.name}: sync could not finish ({reason}).",
                    hint="Your VM keeps running; `devtray stop` stops it anyway.",
                )
            self.store.clear()
            if stop_vm and vm.state in (VmState.RUNNING, VmState.STARTING):
                # Recorded first, so start on connect leaves a VM stopped on purpose alone.
                record_user_stop(vm.id, stopped_by)
                vm = provider.stop_vm(vm.id)
                self._publish(
                    listener,
                    DayEventKind.ENDING,
                    replace(ending, elapsed=time.monotonic() - started),
                    text=f"asked the cloud to stop {vm.name}.",
                )
            ended = self._cost_of_today(provider, vm, stopped=stop_vm)
            done = DayProgress(vm_name=vm.name, elapsed=time.monotonic() - started, ended=ended)
            self._publish(listener, DayEventKind.ENDED, done, text=ended.describe())
            return ended

    def _find_vm(self, name_or_id: str | None) -> tuple[Provider, VmSnapshot]:
        pairs = [(p, vm) for p in self._providers() for vm in p.list_my_vms()]
        vm = choose_vm([vm for _, vm in pairs], name_or_id)
        return next((p, candidate) for p, candidate in pairs if candidate is vm)

    def _cost_of_today(self, provider: Provider, vm: VmSnapshot, *, stopped: bool) -> DayEnded:
        if self.spend is None:
            return DayEnded(vm.name, stopped)
        try:
            summary = self.spend.observe(provider, vm)
            now = datetime.now(self.spend.tz)
            start = local_day_start(now.date(), self.spend.tz)
            running = running_between(self.spend.record.changes(vm.id), start, now)
        except (DevtrayError, OSError) as exc:
            # What the day cost is a nicety: the VM is stopped all the same.
            log.warning("could not tell what the day cost: %s", exc)
            return DayEnded(vm.name, stopped)
        return DayEnded(vm.name, stopped, running, summary.today.amount, summary.currency)

    # -- the VM's own life ---------------------------------------------------------------------

    def before_stop(self, vm: VmSnapshot, project_root: Path | None = None) -> str | None:
        """Before anyone stops `vm`: flush its sync and end sync and tunnels. None when the VM
        holds everything, else why not (the caller then keeps the VM running)."""
        record = self.store.load()
        if project_root is None and record is not None and record.vm_id == vm.id:
            project_root = record.project_root
        reason = self.sync.flush_before_stop(vm, project_root)
        if reason is not None:
            return reason
        self._end_children(vm.id)
        return None

    def _end_children(self, vm_id: str) -> None:
        if self.sync.vm_id() == vm_id:
            self.sync.stop()
        if self.connect.tunnels_vm() == vm_id:
            self.connect.stop_tunnels()

    def on_vm(self, vm: VmSnapshot, vms: Sequence[VmSnapshot]) -> None:
        """With each fresh snapshot (any thread, returns at once): a day's VM that stopped ends
        its sync and tunnels; when it runs again (started by anyone, or found running at the
        tray's start) they come back."""
        previous = self._seen.get(vm.id)
        self._seen[vm.id] = vm.state
        if vm.state is previous:
            return
        if self._busy.locked():
            return  # a bring-up or wind-down runs the VM's children itself
        mine = vm.id in (self.sync.vm_id(), self.connect.tunnels_vm())
        if vm.state in _GONE and mine:
            # Stopped by the cloud or elsewhere: too late to flush, the VM is going away.
            self._in_background(lambda: self._end_children(vm.id), "day-vm-stopped")
        elif vm.state is VmState.RUNNING and not mine:
            self._in_background(lambda: self.resume(vms), "day-resume")

    def ended_elsewhere(self, ready: DayReady) -> VmSnapshot | None:
        """For a day with no tray to follow its VM (`devtray up` on its own): ask the cloud
        once; when the VM stopped (the console, the cloud, an auto-stop on the VM) end its sync
        and tunnels — too late to flush — and return the snapshot; None while it runs or when
        the cloud cannot be asked (a network blip never ends the day)."""
        record = self.store.load()
        provider = next(
            (p for p in self._providers() if record is not None and p.name == record.provider),
            None,
        )
        if provider is None:
            return None  # no day recorded (ended already), or its cloud is no longer set up
        try:
            vm = provider.refresh(ready.vm_id)  # one VM, not a listing of every cloud
        except DevtrayError as exc:
            log.info("could not ask the cloud about %s: %s", ready.vm_name, exc)
            return None
        if vm.state not in _GONE:
            return None
        self.close(forget=True)
        return vm

    def _in_background(self, work: Callable[[], object], name: str) -> None:
        def run() -> None:
            try:
                work()
            except Exception:
                log.exception("%s failed", name)

        threading.Thread(target=run, name=name, daemon=True).start()

    def resume(self, vms: Sequence[VmSnapshot]) -> DayReady | None:
        """Bring back the sync and tunnels of the recorded day if its VM runs (at the tray's
        start, or when the VM comes back); None when there is nothing to resume."""
        record = self.store.load()
        vm = next((v for v in vms if record and v.id == record.vm_id), None)
        if record is None or vm is None or vm.state is not VmState.RUNNING:
            return None
        if not self._busy.acquire(blocking=False):
            return None  # a bring-up or wind-down is under way: it decides
        try:
            project = load_project(record.project_root)
            entry = self.connect.entry_for(vm, vms)
            if wanted_forwards(project, self.config.current()):
                self.connect.start_tunnels(vm, vms, project)
            self.sync.start(vm, vms, project)
        except DevtrayError as exc:
            log.warning("day on %s not resumed: %s", vm.name, exc)
            self._end_children(vm.id)
            return None
        finally:
            self._busy.release()
        ready = DayReady(project.root, vm.id, vm.name, entry.alias, project.remote_dir())
        steps = tuple((step, StepState.DONE) for step in DayStep)
        progress = DayProgress(
            DayPhase.READY,
            project.name,
            vm.name,
            steps,
            ready=ready,
            detail="resumed",
            simulated=self.connect.link.simulated,
        )
        self._publish(None, DayEventKind.READY, progress, text=ready.describe())
        return ready

    def close(self, *, forget: bool) -> None:
        """Stop the day's children (quit, or Ctrl-C of a CLI-owned day); the VM stays up.
        `forget` drops the record so no restart resumes it."""
        self.sync.stop()
        self.connect.stop_tunnels()
        if forget:
            self.store.clear()
        with self._lock:
            self._progress = DayProgress()


class _BringUp:
    """One run of the bring-up: the steps in order, the undo list, the progress snapshots."""

    def __init__(
        self,
        day: DayService,
        project: Project,
        listener: DayListener | None,
        cancel: CancelToken,
        open_ide: bool,
        adopt: bool = False,
    ) -> None:
        self.day = day
        self.project = project
        self.listener = listener
        self.cancel = cancel
        self.open_ide = open_ide
        self.adopt = adopt
        self.started = time.monotonic()
        self.undo: list[tuple[DayStep, Callable[[], object]]] = []
        self.progress = DayProgress(
            DayPhase.STARTING, project_name=project.name, simulated=day.connect.link.simulated
        )
        # The sync watcher reports details from its own thread.
        self._lock = threading.RLock()

    def publish(self, kind: DayEventKind, step: DayStep | None = None, text: str = "") -> None:
        with self._lock:
            self.progress = replace(self.progress, elapsed=time.monotonic() - self.started)
            self.day._publish(self.listener, kind, self.progress, step, text)

    def mark(self, step: DayStep, state: StepState, **changes: object) -> None:
        with self._lock:
            steps = tuple((s, state if s is step else old) for s, old in self.progress.steps)
            self.progress = replace(self.progress, steps=steps, **changes)  # type: ignore[arg-type]

    def detail(self, step: DayStep, text: str) -> None:
        """The running step's detail changed ("Syncing 3,214 files…")."""
        with self._lock:
            if text != self.progress.detail:
                self.progress = replace(self.progress, detail=text)
                self.publish(DayEventKind.STEP_DETAIL, step, text)

    @contextmanager
    def step(self, step: DayStep, text: str) -> Iterator[None]:
        """Run one step: started, then done (or failed, naming the step and why)."""
        if self.cancel.cancelled:
            raise errors.Cancelled("Cancelled.")
        self.mark(step, StepState.RUNNING, current=step, detail=text)
        self.publish(DayEventKind.STEP_STARTED, step, f"{text}...")
        try:
            yield
        except errors.Cancelled:
            raise
        except DevtrayError as exc:
            failure = StepFailure(step, exc.message, exc.hint)
            self.mark(step, StepState.FAILED, failure=failure)
            raise DayFailed(failure, exc.exit_code) from None
        self.mark(step, StepState.DONE)
        self.publish(DayEventKind.STEP_FINISHED, step)

    def skip(self, step: DayStep, text: str) -> None:
        self.mark(step, StepState.SKIPPED, current=step, detail=text)
        self.publish(DayEventKind.STEP_FINISHED, step, text)

    def run(self) -> DayReady:
        self.publish(DayEventKind.STEP_STARTED)
        try:
            ready = self._steps()
        except BaseException as exc:
            self._roll_back()
            if isinstance(exc, DayFailed):
                self.progress = replace(self.progress, phase=DayPhase.FAILED)
                self.publish(DayEventKind.FAILED, exc.failure.step, exc.failure.describe())
                raise
            if isinstance(exc, errors.Cancelled | KeyboardInterrupt):
                self.progress = replace(self.progress, phase=DayPhase.CANCELLED)
                self.publish(DayEventKind.CANCELLED, text="cancelled; what was started is undone.")
                if isinstance(exc, errors.Cancelled):
                    raise DayCancelled("Start cancelled; what was started is undone.") from None
            raise
        self.progress = replace(self.progress, phase=DayPhase.READY, current=None, ready=ready)
        self.publish(DayEventKind.READY, text=ready.describe())
        return ready

    def _roll_back(self) -> None:
        """Undo what was done, newest first; an undo that fails is logged, the rest still run."""
        for step, undo in reversed(self.undo):
            try:
                undo()
            except Exception:
                log.exception("undoing %s failed", step)
                continue
            self.mark(step, StepState.UNDONE)
            self.publish(DayEventKind.STEP_UNDONE, step, f"undid: {step.label}")
        self.undo.clear()

    def _steps(self) -> DayReady:
        day, project = self.day, self.project
        with self.step(DayStep.SIGNED_IN, "checking sign-in"):
            for provider in day._providers():
                provider.identity()
            self.detail(DayStep.SIGNED_IN, "finding the VM")
            self.publish(DayEventKind.STEP_DETAIL, DayStep.SIGNED_IN, "finding the VM...")
            pairs = [(p, vm) for p in day._providers() for vm in p.list_my_vms()]
            vm = choose_vm([vm for _, vm in pairs], project.vm)
            provider = next(p for p, candidate in pairs if candidate is vm)
        self.progress = replace(self.progress, vm_name=vm.name)
        vm = self._start_vm(provider, vm)
        vms = [vm if other.id == vm.id else other for _, other in pairs]
        with self.step(DayStep.SSH_CONFIG, "writing the SSH config"):
            entry = day.connect.entry_for(vm, vms)
        simulated = day.connect.link.simulated
        waiting = (
            f"demo VM simulated: {simulated}" if simulated else f"waiting for SSH on {entry.alias}"
        )
        with self.step(DayStep.SSH_READY, waiting):
            day.connect.link.wait_reachable(
                entry.alias, within=SSH_WAIT, cancel=self.cancel, on_answer=self._ssh_answered
            )
        self._tunnels(vm, vms)
        self._sync(vm, vms, entry.alias)
        if self.open_ide:
            kind = _ide_kind(project.ide)
            with self.step(DayStep.IDE_OPEN, f"opening {project.name} in {kind}"):
                day.connect.open_in(kind, vm, vms, project)
        else:
            self.skip(DayStep.IDE_OPEN, "")
        day.store.save(
            DayRecord(
                project.root, vm.id, vm.name, vm.provider, project.remote_dir(), self.open_ide
            )
        )
        return DayReady(project.root, vm.id, vm.name, entry.alias, project.remote_dir())

    def _start_vm(self, provider: Provider, vm: VmSnapshot) -> VmSnapshot:
        if vm.state is VmState.RUNNING:
            self.skip(DayStep.VM_STARTED, "")
            return vm
        with self.step(DayStep.VM_STARTED, f"starting {vm.name} (now {vm.state})"):
            if vm.state is VmState.STOPPING:
                # Stopped a moment ago (End my day, auto-stop): let it stop, then start it;
                # waiting for "running" would end in "stopped instead of running".
                vm = self._wait_until(provider, vm, VmState.STOPPED, "Waiting for {} to stop…")
            if vm.state is VmState.STOPPED:
                vm = provider.start_vm(vm.id)
                vm_id = vm.id
                # Only a VM this bring-up started is stopped again when a later step fails.
                self.undo.append((DayStep.VM_STARTED, lambda: provider.stop_vm(vm_id)))
            vm = self._wait_until(provider, vm, VmState.RUNNING, "Starting {}…")
        return vm

    def _wait_until(
        self, provider: Provider, vm: VmSnapshot, state: VmState, doing: str
    ) -> VmSnapshot:
        """Poll the cloud until `vm` is in `state`; the step's detail says `doing` (`{}` is
        the VM's name) and the seconds waited."""
        return wait_for_state(
            lambda: provider.refresh(vm.id),
            {state},
            cancel=self.cancel,
            on_progress=lambda snap, waited: self.detail(
                DayStep.VM_STARTED, f"{doing.format(snap.name)} {int(waited)} s"
            ),
            interval=self.day.config.current().polling.fast_seconds,
        )

    def _ssh_answered(self, number: int, answer: ProbeAnswer) -> None:
        # The first refusals are a booting VM's normal; from the second on, say what ssh says.
        if number >= 2:
            self.detail(DayStep.SSH_READY, f"ssh answered: {answer.reason}")

    def _tunnels(self, vm: VmSnapshot, vms: Sequence[VmSnapshot]) -> None:
        connect = self.day.connect
        forwards = wanted_forwards(self.project, self.day.config.current())
        if not forwards:
            self.skip(DayStep.TUNNELS, "")
            return
        with self.step(DayStep.TUNNELS, f"starting {len(forwards)} tunnel(s)"):
            tunnels = connect.start_tunnels(vm, vms, self.project)
            self.undo.append((DayStep.TUNNELS, connect.stop_tunnels))
            deadline = time.monotonic() + TUNNEL_WAIT
            while not tunnels.wait_ready(0):
                if self.cancel.wait(_WATCH_INTERVAL):
                    raise errors.Cancelled("Cancelled while the tunnels came up.")
                if time.monotonic() > deadline:
                    broken = [status.describe() for status in tunnels.statuses()]
                    raise errors.Offline("; ".join(broken) or "tunnels did not come up")

    def _sync(self, vm: VmSnapshot, vms: Sequence[VmSnapshot], alias: str) -> None:
        sync = self.day.sync
        where = f"{alias}:{self.project.remote_dir()}"
        with self.step(DayStep.SYNC, f"initial sync to {where}"):
            engine = sync.start(vm, vms, self.project, adopt=self.adopt)
            self.undo.append((DayStep.SYNC, sync.stop))
            status = self._flush(engine)
            if self.cancel.cancelled:
                raise errors.Cancelled("Cancelled during the initial sync.")
            if status.has_unsynced_changes:
                raise errors.Offline(f"the VM does not hold the project yet: {status.summary()}")
        summary = f"sync ({engine.name}): {status.summary()}"
        self.publish(DayEventKind.STEP_DETAIL, DayStep.SYNC, summary)

    def _flush(self, engine: SyncEngine) -> SyncStatus:
        """The initial flush, with its progress as the detail. A cancel, or an error that
        keeps coming back (a folder that cannot be made on the VM), stops the engine, which
        ends the flush."""
        done = threading.Event()
        gave_up: list[str] = []

        def watch() -> None:
            failing_since: float | None = None
            while not done.wait(_WATCH_INTERVAL):
                if self.cancel.cancelled:
                    engine.stop()
                    return
                status = engine.status()
                if status.phase is SyncPhase.WATCHING:
                    failing_since = None
                elif status.phase is SyncPhase.ERROR and status.reason:
                    failing_since = failing_since or time.monotonic()
                    self.detail(DayStep.SYNC, f"sync failed, retrying: {status.reason}")
                    if time.monotonic() - failing_since > SYNC_GIVE_UP:
                        gave_up.append(status.reason)
                        engine.stop()
                        return
                if status.syncing_files or status.pending:
                    count = status.syncing_files or status.pending
                    self.detail(DayStep.SYNC, f"Syncing {count:,} files…")

        watcher = threading.Thread(target=watch, name="day-sync-watch", daemon=True)
        watcher.start()
        try:
            status = engine.flush(INITIAL_SYNC_WAIT)
        finally:
            done.set()
            watcher.join()
        if gave_up:
            raise errors.Offline(f"the VM does not hold the project yet: {gave_up[0]}")
        return status


def _ide_kind(name: str | None) -> ide.IdeKind:
    """The project's `ide` (VS Code when it names none, or one devtray cannot open)."""
    try:
        return ide.IdeKind(name) if name else ide.IdeKind.VSCODE
    except ValueError:
        return ide.IdeKind.VSCODE
