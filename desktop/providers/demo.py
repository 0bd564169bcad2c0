"""The demo cloud: a developer's simulated VMs with realistic timings, prices and faults.

`devtray --demo` runs the whole app against it, so every menu action can be tried without an
account; a VM that comes up or goes down is reported to `on_settled`, which the demo's day uses
to start and stop its stand-in machine on this computer (see `desktop/services/demo_world.py`).
Timings follow a real cloud (start ~20 s through `starting`, stop ~10 s, a resize stops,
changes the size and starts again) and can be scaled down for tests and benchmarks:

- `DEVTRAY_DEMO_TIME_SCALE`: multiplies every duration (`0.01` makes a start take 0.2 s);
- `DEVTRAY_DEMO_CALL_DELAY`: seconds every cloud call takes (default: 0.15 s, scaled);
- `DEVTRAY_DEMO_FAULTS`: faults on request, e.g. `start=capacity,list=offline*` — each
  `operation=kind` fails that operation once (`*`: every time). Operations: identity, list,
  refresh, start, stop, sizes, plan, resize; kinds: auth, offline, capacity, throttled,
  permission, bug (an unexpected exception, to see how the app copes).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from desktop.core import errors
from desktop.core.cost import PriceSheet
from desktop.core.lifecycle import ensure_resizable
from desktop.core.model import Addresses, ResizePlan, ResizeStep, VmSize, VmSnapshot, VmState
from desktop.core.polling import wait_for_state
from desktop.core.provider import CancelToken, ProgressCallback

TIME_SCALE_ENV = "DEVTRAY_DEMO_TIME_SCALE"
CALL_DELAY_ENV = "DEVTRAY_DEMO_CALL_DELAY"
FAULTS_ENV = "DEVTRAY_DEMO_FAULTS"

DEMO_OWNER = "demo-user"
DEMO_REGION = "demo-west-1"

# Prices are per hour in USD, in line with general-purpose x86 VMs of the same shape.
DEMO_SIZES: tuple[VmSize, ...] = (
    VmSize("demo.small", vcpus=2, memory_gib=4, architecture="x86_64", hourly_price=0.0416),
    VmSize("demo.medium", vcpus=2, memory_gib=8, architecture="x86_64", hourly_price=0.0832),
    VmSize("demo.large", vcpus=4, memory_gib=16, architecture="x86_64", hourly_price=0.1664),
    VmSize("demo.xlarge", vcpus=8, memory_gib=32, architecture="x86_64", hourly_price=0.3328),
    VmSize("demo.2xlarge", vcpus=16, memory_gib=64, architecture="x86_64", hourly_price=0.6656),
)

OPERATIONS = frozenset({"identity", "list", "refresh", "start", "stop", "sizes", "plan", "resize"})


class DemoBug(RuntimeError):
    """The `bug` fault: an unexpected exception, as a real adapter bug would raise."""


_FAULTS: Mapping[str, Callable[[str], Exception]] = {
    "auth": lambda what: errors.AuthExpired(
        f"Demo sign-in expired while trying to {what}.", hint="Choose Sign in… in the menu."
    ),
    "offline": lambda what: errors.Offline(
        f"The demo cloud cannot be reached to {what}.", hint="devtray retries by itself."
    ),
    "capacity": lambda what: errors.InsufficientCapacity(
        f"The demo cloud has no capacity to {what} right now.",
        hint="Try again in a minute, or pick another size.",
    ),
    "throttled": lambda what: errors.Throttled(
        f"The demo cloud is throttling requests to {what}.", hint="Wait a little, then retry."
    ),
    "permission": lambda what: errors.PermissionDenied(
        f"Your demo role may not {what}.", hint="Ask your admin for the devtray policy."
    ),
    "bug": lambda what: DemoBug(f"simulated adapter bug while trying to {what}"),
}


@dataclass(frozen=True)
class DemoTimings:
    """How long things take in the demo cloud, in seconds."""

    start: float = 20.0
    stop: float = 10.0
    resize: float = 6.0
    call: float = 0.15

    def scaled(self, factor: float) -> DemoTimings:
        """Every duration multiplied by `factor`."""
        return DemoTimings(
            start=self.start * factor,
            stop=self.stop * factor,
            resize=self.resize * factor,
            call=self.call * factor,
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> DemoTimings:
        """Realistic timings, scaled by `DEVTRAY_DEMO_TIME_SCALE`, call delay overridable."""
        environ = os.environ if environ is None else environ
        timings = cls().scaled(_positive_number(environ, TIME_SCALE_ENV, 1.0))
        if CALL_DELAY_ENV in environ:
            timings = replace(timings, call=_positive_number(environ, CALL_DELAY_ENV, 0.0))
        return timings


def _positive_number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise errors.BadConfig(
            f"{name} must be a number of 0 or more, not {raw!r}", hint=f"Fix or unset {name}."
        )
    return value


class DemoFaults:
    """Faults requested by the user or a test: `operation -> kind`, once or every time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._once: dict[str, str] = {}
        self._always: dict[str, str] = {}

    @classmethod
    def parse(cls, spec: str) -> DemoFaults:
        """Read `start=capacity,list=offline*`; raises BadConfig naming a wrong entry."""
        faults = cls()
        for entry in filter(None, (part.strip() for part in spec.split(","))):
            operation, _, kind = entry.partition("=")
            always = kind.endswith("*")
            faults.inject(operation.strip(), kind.rstrip("*").strip(), always=always)
        return faults

    def inject(self, operation: str, kind: str, *, always: bool = False) -> None:
        """Make `operation` fail with `kind` on its next call (or on every call)."""
        if operation not in OPERATIONS or kind not in _FAULTS:
            raise errors.BadConfig(
                f"Unknown demo fault {operation}={kind}",
                hint=f"Operations: {', '.join(sorted(OPERATIONS))}; "
                f"kinds: {', '.join(sorted(_FAULTS))}.",
            )
        with self._lock:
            (self._always if always else self._once)[operation] = kind

    def clear(self) -> None:
        """Forget every requested fault."""
        with self._lock:
            self._once.clear()
            self._always.clear()

    def check(self, operation: str, what: str) -> None:
        """Raise the fault requested for `operation`, if any."""
        with self._lock:
            kind = self._once.pop(operation, None) or self._always.get(operation)
        if kind is not None:
            raise _FAULTS[kind](what)


@dataclass
class _DemoVm:
    """The simulated cloud's own record of one VM (mutable; guarded by the provider's lock)."""

    id: str
    name: str
    size: str
    state: VmState
    launched_at: datetime | None = None
    settles_at: float | None = None  # monotonic time the current transition ends
    settles_to: VmState | None = None


class DemoProvider:
    """A Provider for the simulated cloud; thread-safe, every call takes `timings.call`."""

    name = "demo"

    def __init__(
        self,
        vms: Sequence[tuple[str, str, VmState]] = (("demo-devbox", "demo.large", VmState.STOPPED),),
        *,
        timings: DemoTimings | None = None,
        faults: DemoFaults | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_settled: Callable[[str, VmState], None] | None = None,
    ) -> None:
        self.timings = timings or DemoTimings()
        # Told when a VM has come up or gone down: the stand-in machine follows it.
        self._on_settled = on_settled
        self.faults = faults or DemoFaults()
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._vms: dict[str, _DemoVm] = {}
        for index, (name, size, state) in enumerate(vms, start=1):
            self._size(size)
            launched = wall_clock() if state is VmState.RUNNING else None
            vm_id = f"demo-{index:04d}"
            self._vms[vm_id] = _DemoVm(vm_id, name, size, state, launched_at=launched)

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        on_settled: Callable[[str, VmState], None] | None = None,
    ) -> DemoProvider:
        """The demo cloud as `devtray --demo` runs it, tuned by the DEVTRAY_DEMO_* variables."""
        environ = os.environ if environ is None else environ
        return cls(
            timings=DemoTimings.from_environment(environ),
            faults=DemoFaults.parse(environ.get(FAULTS_ENV, "")),
            on_settled=on_settled,
        )

    # -- the simulated cloud ------------------------------------------------------------------

    def _call(self, operation: str, what: str) -> None:
        # Latency first, like a real request, then the fault the user asked for.
        if self.timings.call > 0:
            self._sleep(self.timings.call)
        self.faults.check(operation, what)

    def _name_of(self, vm_id: str) -> str:
        # Messages name the VM as the person knows it, not by its id.
        with self._lock:
            vm = self._vms.get(vm_id)
        return vm.name if vm is not None else vm_id

    def _settled(self, vm: _DemoVm) -> _DemoVm:
        if vm.settles_to is not None and vm.settles_at is not None:
            settled = self._clock() >= vm.settles_at
            if settled:
                vm.state = vm.settles_to
                vm.settles_at = vm.settles_to = None
                if vm.state is VmState.RUNNING:
                    vm.launched_at = self._wall_clock()
                if self._on_settled is not None:
                    self._on_settled(vm.id, vm.state)
        return vm

    def _record(self, vm_id: str) -> _DemoVm:
        vm = self._vms.get(vm_id)
        if vm is None:
            raise errors.NotFound(f"Demo VM {vm_id} does not exist.")
        return self._settled(vm)

    def _snapshot(self, vm: _DemoVm) -> VmSnapshot:
        return VmSnapshot(
            provider=self.name,
            id=vm.id,
            name=vm.name,
            region=DEMO_REGION,
            state=vm.state,
            size=vm.size,
            # `.invalid` never resolves: nothing can dial a demo VM by accident.
            addresses=Addresses(private_dns=f"{vm.name}.demo.invalid"),
            launched_at=vm.launched_at if vm.state is VmState.RUNNING else None,
            tags={"Name": vm.name, "Owner": DEMO_OWNER},
            zone=f"{DEMO_REGION}a",
            architecture="x86_64",
            observed_at=self._wall_clock(),
        )

    def _begin(self, vm: _DemoVm, now: VmState, then: VmState, seconds: float) -> None:
        vm.state = now
        vm.settles_to = then
        vm.settles_at = self._clock() + seconds

    @staticmethod
    def _size(name: str) -> VmSize:
        for size in DEMO_SIZES:
            if size.name == name:
                return size
        raise errors.NotFound(
            f"{name} is not a demo size.",
            hint=f"Demo sizes: {', '.join(s.name for s in DEMO_SIZES)}.",
        )

    # -- the Provider protocol ----------------------------------------------------------------

    def identity(self) -> str:
        """The demo owner."""
        self._call("identity", "find out who you are")
        return DEMO_OWNER

    def list_my_vms(self) -> list[VmSnapshot]:
        """Every demo VM."""
        self._call("list", "list your VMs")
        with self._lock:
            return [self._snapshot(self._settled(vm)) for vm in self._vms.values()]

    def refresh(self, vm_id: str) -> VmSnapshot:
        """A fresh snapshot of one demo VM."""
        self._call("refresh", f"look up {self._name_of(vm_id)}")
        with self._lock:
            return self._snapshot(self._record(vm_id))

    def start_vm(self, vm_id: str) -> VmSnapshot:
        """Begin starting a stopped VM (`starting` for `timings.start` seconds)."""
        return self._transition(
            vm_id, ("start", "started"), VmState.STOPPED, VmState.STARTING, VmState.RUNNING
        )

    def stop_vm(self, vm_id: str) -> VmSnapshot:
        """Begin stopping a running VM (`stopping` for `timings.stop` seconds)."""
        return self._transition(
            vm_id, ("stop", "stopped"), VmState.RUNNING, VmState.STOPPING, VmState.STOPPED
        )

    def _transition(
        self,
        vm_id: str,
        verb: tuple[str, str],
        source: VmState,
        via: VmState,
        target: VmState,
    ) -> VmSnapshot:
        # Asking again while on the way (or already there) is fine, as on the real clouds.
        operation, participle = verb
        seconds = self.timings.start if target is VmState.RUNNING else self.timings.stop
        self._call(operation, f"{operation} {self._name_of(vm_id)}")
        with self._lock:
            vm = self._record(vm_id)
            if vm.state is source:
                self._begin(vm, via, target, seconds)
            elif vm.state not in (via, target):
                raise errors.InvalidState(
                    f"{vm.name} is {vm.state}; it can be {participle} once it is {source}.",
                    hint="Wait a moment and try again.",
                )
            return self._snapshot(vm)

    def list_sizes(self, vm_id: str) -> list[VmSize]:
        """The demo catalogue, smallest first."""
        self._call("sizes", f"list the sizes for {self._name_of(vm_id)}")
        with self._lock:
            self._record(vm_id)
        return list(DEMO_SIZES)

    def price_sheet(self, vm: VmSnapshot) -> PriceSheet:
        """Demo prices: the size's list price, a 30 GB disk and one public IPv4 address."""
        self._call("price", f"price {vm.name}")
        return PriceSheet(
            compute_hourly=self._size(vm.size).hourly_price,
            disk_gb=30,
            disk_gb_month=0.08,
            public_ipv4_hourly=0.005,
            public_ipv4_running=1,
            provenance="demo prices",
        )

    def plan_resize(self, vm_id: str, size: str) -> ResizePlan:
        """Check a resize: the VM must be running or stopped and the size another demo size."""
        self._call("plan", f"check a resize of {self._name_of(vm_id)}")
        with self._lock:
            vm = self._snapshot(self._record(vm_id))
        ensure_resizable(vm, size)
        running = vm.state is VmState.RUNNING
        estimate = self.timings.resize + (self.timings.stop + self.timings.start if running else 0)
        return ResizePlan(
            vm=vm,
            target=self._size(size),
            current=self._size(vm.size),
            needs_stop=running,
            restart_after=running,
            estimated_seconds=estimate,
        )

    def resize_vm(
        self, plan: ResizePlan, progress: ProgressCallback, cancel: CancelToken
    ) -> VmSnapshot:
        """Stop if running, spend `timings.resize` in `resizing`, start again if it ran."""
        vm_id = plan.vm.id
        self._call("resize", f"resize {plan.vm.name}")
        progress(ResizeStep.CHECKING, plan.vm)
        if plan.needs_stop:
            self.stop_vm(vm_id)
            self._wait(vm_id, VmState.STOPPED, cancel, ResizeStep.STOPPING, progress)
        if cancel.cancelled:
            raise errors.Cancelled(
                f"Resize cancelled; {plan.vm.name} is stopped, still the old size."
            )
        with self._lock:
            vm = self._record(vm_id)
            self._begin(vm, VmState.RESIZING, VmState.STOPPED, self.timings.resize)
            vm.size = plan.target.name
            resizing = self._snapshot(vm)
        progress(ResizeStep.RESIZING, resizing)
        self._wait(vm_id, VmState.STOPPED, cancel, ResizeStep.RESIZING, progress)
        if plan.restart_after:
            self.start_vm(vm_id)
            self._wait(vm_id, VmState.RUNNING, cancel, ResizeStep.STARTING, progress)
        final = self.refresh(vm_id)
        progress(ResizeStep.DONE, final)
        return final

    def _wait(
        self,
        vm_id: str,
        target: VmState,
        cancel: CancelToken,
        step: ResizeStep,
        progress: ProgressCallback,
    ) -> VmSnapshot:
        # Poll ten times per expected transition; never busier than every 10 ms.
        interval = max(0.01, min(self.timings.start, self.timings.stop) / 10)
        return wait_for_state(
            lambda: self.refresh(vm_id),
            {target},
            cancel=cancel,
            on_progress=lambda snap, _elapsed: progress(step, snap),
            interval=interval,
            timeout=max(60.0, 10 * (self.timings.start + self.timings.stop + self.timings.resize)),
            clock=self._clock,
        )
