"""The tray's brain: keeps the latest `TrayView`, polls adaptively, runs VM operations.

Every cloud call goes through the bridge onto a worker; results come back on the GUI thread,
where they replace the view (a new frozen value each time) and `view_changed` is emitted.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.core import errors
from desktop.core.humanize import printable
from desktop.core.model import ResizePlan, ResizeStep, VmSize, VmSnapshot
from desktop.core.polling import PollSchedule
from desktop.core.provider import CancelToken, Provider, VmPool
from desktop.presentation.glance import Operation, Problem, ProblemKind, TrayView
from desktop.qt.bridge import CloudBridge
from desktop.qt.locale_text import tr

log = logging.getLogger(__name__)

ProvidersFactory = Callable[[], Sequence[Provider]]
T = TypeVar("T")
Listed = list[tuple[Provider, VmSnapshot]]  # each VM with the provider that has it


def problem_for(error: BaseException) -> Problem:
    """The problem to show for an exception, logged: a typed error by its words (its traceback
    at debug level), an unexpected one with its traceback, which only it shows the user."""
    if isinstance(error, errors.DevtrayError):
        log.warning("%s: %s", error.title, error)
        log.debug("where %s was raised", type(error).__name__, exc_info=error)
        return Problem.from_error(error)
    details = "".join(traceback.format_exception(error))
    log.error("unexpected error\n%s", details)
    return Problem.from_error(error, details, render=tr)


class TrayController(QObject):
    """Owns the view and every cloud call the tray makes."""

    view_changed = Signal(object)  # TrayView
    problem_raised = Signal(object)  # Problem: a new problem, or an action the user started failed

    def __init__(
        self,
        bridge: CloudBridge,
        providers: ProvidersFactory,
        schedule: PollSchedule,
        *,
        demo: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.schedule = schedule
        self._providers_factory = providers
        self._providers: Sequence[Provider] | None = None
        self._providers_lock = threading.Lock()
        self._owners: dict[str, Provider] = {}
        self._pools: dict[str, Provider] = {}  # claimable VM id -> the pool that offers it
        self._cancels: dict[str, CancelToken] = {}
        self._refreshing = False
        self._view = TrayView(demo=demo)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh_now)
        # Set by the day service once the feature rows load: flush sync, end sync and tunnels
        # (None, or why the VM must keep running).
        self.before_stop: Callable[[VmSnapshot], str | None] | None = None

    # -- the view -----------------------------------------------------------------------------

    @property
    def view(self) -> TrayView:
        """The latest view."""
        return self._view

    def _set_view(self, view: TrayView) -> None:
        for vm in view.vms:
            before = self._view.vm(vm.id)
            if before is None or (before.state, before.size) != (vm.state, vm.size):
                log.info("%s (%s) is %s, %s", printable(vm.name), vm.id, vm.state, vm.size)
        self._view = view
        self.view_changed.emit(view)

    def provider_for(self, vm_id: str) -> Provider | None:
        """The provider that owns a VM the tray knows (for features that ask it more)."""
        return self._owners.get(vm_id)

    def use_providers(self, providers: ProvidersFactory, *, demo: bool) -> None:
        """Switch clouds (first-run "try the demo", or after sign-in) and look again."""
        with self._providers_lock:
            self._providers_factory = providers
            self._providers = None
        self._owners.clear()
        self._set_view(TrayView(demo=demo))
        self.refresh_now()

    def providers(self) -> Sequence[Provider]:
        """The clouds the tray looks at (the demo's in the demo); call it on a worker."""
        return self._all_providers()

    def _all_providers(self) -> Sequence[Provider]:
        # Runs on a worker: building a provider imports its cloud SDK.
        with self._providers_lock:
            if self._providers is None:
                self._providers = list(self._providers_factory())
            return self._providers

    # -- polling ------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin polling."""
        self.refresh_now()

    def refresh_now(self) -> None:
        """Look at my VMs now (unless a look is already under way)."""
        self._timer.stop()
        if self._refreshing:
            return
        self._refreshing = True
        self.bridge.submit(self._list_all, self._on_listed, self._on_list_failed)

    def _list_all(self) -> tuple[Listed, Listed]:
        providers = self._all_providers()
        mine = [(p, vm) for p in providers for vm in p.list_my_vms()]
        # Only someone without a VM is offered one from a pool (a lab's claimable VMs).
        offers = [] if mine else self._claimable(providers)
        return mine, offers

    @staticmethod
    def _claimable(providers: Sequence[Provider]) -> Listed:
        pools = [p for p in providers if isinstance(p, VmPool)]
        return [(pool, vm) for pool in pools for vm in pool.list_claimable_vms()]

    def _on_listed(self, listing: tuple[Listed, Listed]) -> None:
        self._refreshing = False
        mine, offers = listing
        self._owners = {vm.id: provider for provider, vm in mine}
        self._pools = {vm.id: pool for pool, vm in offers}
        vms = tuple(vm for _, vm in mine)
        claimable = tuple(vm for _, vm in offers)
        now = datetime.now(UTC)
        view = replace(self._view, vms=vms, claimable=claimable, loaded=True, problem=None)
        self._set_view(replace(view, as_of=now, retry_at=None))
        self._schedule_next()

    def _on_list_failed(self, error: BaseException) -> None:
        self._refreshing = False
        problem = problem_for(error)
        previous = self._view.problem
        # The VMs last seen stay in the view (the menu shows them greyed, "as of" then).
        view = replace(self._view, problem=problem)
        interval = self._interval_for(view)
        retry_at = None if interval is None else datetime.now(UTC) + timedelta(seconds=interval)
        self._set_view(replace(view, retry_at=retry_at))
        if previous is None or previous.kind is not problem.kind:
            self.problem_raised.emit(problem)
        self._schedule_next()

    def next_interval(self) -> float | None:
        """Seconds to the next look: fast while anything changes, paused until sign-in."""
        return self._interval_for(self._view)

    def _interval_for(self, view: TrayView) -> float | None:
        if view.problem is not None and view.problem.kind is ProblemKind.SIGN_IN:
            return None
        if view.offline:
            return self.schedule.interval_for(None, offline=True)
        if view.busy or not view.vms:
            return self.schedule.interval_for(None) if view.busy else self.schedule.slow
        return min(self.schedule.interval_for(vm.state) for vm in view.vms)

    def _schedule_next(self) -> None:
        interval = self.next_interval()
        if interval is not None:
            self._timer.start(int(interval * 1000))

    # -- operations ---------------------------------------------------------------------------

    def start_vm(self, vm_id: str) -> None:
        """Start the VM (returns at once; the result arrives through the view)."""
        self._operate(vm_id, Operation.STARTING, lambda p: p.start_vm(vm_id))

    def stop_vm(self, vm_id: str) -> None:
        """Stop the VM, after its sync is flushed (a stop that would lose changes is refused)."""
        before, vm = self.before_stop, self._view.vm(vm_id)

        def stop(provider: Provider) -> VmSnapshot:
            if before is not None and vm is not None:
                reason = before(vm)
                if reason is not None:
                    raise errors.InvalidState(
                        f"Not stopping {vm.name}: {reason}",
                        hint="Your VM keeps running; stop it again once sync has caught up.",
                    )
            return provider.stop_vm(vm_id)

        self._operate(vm_id, Operation.STOPPING, stop)

    def resize_vm(self, plan: ResizePlan) -> None:
        """Carry out a checked resize; progress snapshots update the view as they come."""
        vm_id = plan.vm.id
        cancel = CancelToken()
        self._cancels[vm_id] = cancel

        def progress(_step: ResizeStep, snapshot: VmSnapshot | None) -> None:
            if snapshot is not None:
                self.bridge.call_on_gui(lambda: self._progress(snapshot))

        self._operate(vm_id, Operation.RESIZING, lambda p: p.resize_vm(plan, progress, cancel))

    def claim_vm(self, vm_id: str) -> None:
        """Claim a VM from its lab's pool; it shows as "Claiming…" until it is mine."""
        pool = self._pools.get(vm_id)
        if not isinstance(pool, VmPool) or self._view.busy:
            log.info("ignored claim of %s: not offered, or the tray is busy", vm_id)
            return
        cancel = CancelToken()
        self._cancels[vm_id] = cancel
        self._set_view(replace(self._view, claimable=()).with_busy(vm_id, Operation.CLAIMING))

        def claimed(snapshot: VmSnapshot) -> None:
            self._owners[snapshot.id] = pool
            self._operation_done(vm_id, snapshot)

        self.bridge.submit(
            lambda: pool.claim_vm(vm_id, None, cancel),
            claimed,
            lambda error: self._operation_failed(vm_id, error),
        )

    def _progress(self, snapshot: VmSnapshot) -> None:
        if snapshot.id in self._view.busy:
            self._set_view(self._view.with_vm(snapshot))

    def _operate(
        self, vm_id: str, operation: Operation, call: Callable[[Provider], VmSnapshot]
    ) -> None:
        provider = self._owners.get(vm_id)
        if provider is None or vm_id in self._view.busy:
            # The menu disables these; a stale click (menu opened before a change) lands here.
            log.info("ignored %s of %s: unknown or busy", operation, vm_id)
            return
        self._set_view(self._view.with_busy(vm_id, operation))
        self.bridge.submit(
            lambda: call(provider),
            lambda snapshot: self._operation_done(vm_id, snapshot),
            lambda error: self._operation_failed(vm_id, error),
        )

    def _operation_done(self, vm_id: str, snapshot: VmSnapshot) -> None:
        self._cancels.pop(vm_id, None)
        self._set_view(self._view.with_vm(snapshot).with_busy(vm_id, None))
        self._schedule_next()

    def _operation_failed(self, vm_id: str, error: BaseException) -> None:
        self._cancels.pop(vm_id, None)
        self._set_view(self._view.with_busy(vm_id, None))
        self.problem_raised.emit(problem_for(error))
        self.refresh_now()

    # -- what the resize dialog needs ---------------------------------------------------------

    def load_sizes(
        self,
        vm_id: str,
        on_done: Callable[[list[VmSize]], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """The sizes the VM may take, delivered on the GUI thread."""
        self._ask(vm_id, lambda provider: provider.list_sizes(vm_id), on_done, on_error)

    def plan_resize(
        self,
        vm_id: str,
        size: str,
        on_done: Callable[[ResizePlan], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Check a resize without touching anything, delivered on the GUI thread."""
        self._ask(vm_id, lambda provider: provider.plan_resize(vm_id, size), on_done, on_error)

    def _ask(
        self,
        vm_id: str,
        question: Callable[[Provider], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        provider = self._owners.get(vm_id)
        if provider is None:
            on_error(errors.NotFound(f"VM {vm_id} is no longer among your VMs."))
            return
        self.bridge.submit(lambda: question(provider), on_done, on_error)

    def run_contributed(self, run: Callable[[], object]) -> None:
        """Run a contributed menu action on a worker; its errors are shown like ours."""
        self.bridge.submit(
            run, lambda _result: None, lambda e: self.problem_raised.emit(problem_for(e))
        )

    # -- quitting -----------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop polling, cancel long operations, stop delivering results."""
        self._timer.stop()
        for cancel in self._cancels.values():
            cancel.cancel()
        self.bridge.close()
