"""The demo cloud: realistic state changes (scaled down here), prices, faults on request."""

from __future__ import annotations

import time

import pytest

from desktop.core import errors
from desktop.core.model import ResizeStep, VmSnapshot, VmState
from desktop.core.provider import CancelToken, Provider
from desktop.providers.demo import (
    DEMO_SIZES,
    DemoBug,
    DemoFaults,
    DemoProvider,
    DemoTimings,
)


class FakeClock:
    """Monotonic time that moves only when told: the demo's transitions are time-based."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def demo(clock: FakeClock, state: VmState = VmState.STOPPED) -> DemoProvider:
    return DemoProvider(
        (("devbox", "demo.large", state),), timings=DemoTimings(call=0), clock=clock
    )


def test_it_is_a_provider() -> None:
    provider: Provider = DemoProvider(timings=DemoTimings(call=0))
    assert provider.name == "demo"
    assert provider.identity() == "demo-user"


def test_start_goes_through_starting_for_about_twenty_seconds() -> None:
    clock = FakeClock()
    provider = demo(clock)
    (vm,) = provider.list_my_vms()
    assert vm.state is VmState.STOPPED and vm.launched_at is None
    assert provider.start_vm(vm.id).state is VmState.STARTING
    clock.now += 19.9
    assert provider.refresh(vm.id).state is VmState.STARTING
    assert provider.start_vm(vm.id).state is VmState.STARTING  # idempotent while starting
    with pytest.raises(errors.InvalidState):
        provider.stop_vm(vm.id)
    clock.now += 0.2
    running = provider.refresh(vm.id)
    assert running.state is VmState.RUNNING and running.launched_at is not None
    assert running.addresses.best() == "devbox.demo.invalid"


def test_stop_takes_about_ten_seconds() -> None:
    clock = FakeClock()
    provider = demo(clock, VmState.RUNNING)
    vm_id = provider.list_my_vms()[0].id
    assert provider.stop_vm(vm_id).state is VmState.STOPPING
    clock.now += 9.9
    assert provider.refresh(vm_id).state is VmState.STOPPING
    clock.now += 0.2
    assert provider.refresh(vm_id).state is VmState.STOPPED


def test_sizes_have_prices_and_plans_say_how_long() -> None:
    clock = FakeClock()
    provider = demo(clock, VmState.RUNNING)
    vm_id = provider.list_my_vms()[0].id
    sizes = provider.list_sizes(vm_id)
    assert sizes == list(DEMO_SIZES)
    assert all(size.hourly_price and size.vcpus and size.memory_gib for size in sizes)
    plan = provider.plan_resize(vm_id, "demo.xlarge")
    assert plan.needs_stop and plan.restart_after
    assert plan.estimated_seconds == pytest.approx(20 + 10 + 6)
    assert plan.price_difference == pytest.approx(0.3328 - 0.1664)
    with pytest.raises(errors.UsageError):
        provider.plan_resize(vm_id, "demo.large")
    with pytest.raises(errors.NotFound):
        provider.plan_resize(vm_id, "m5.large")


def test_resize_of_a_running_vm_stops_resizes_and_starts_it_again() -> None:
    provider = DemoProvider(
        (("devbox", "demo.large", VmState.RUNNING),), timings=DemoTimings().scaled(0.005)
    )
    vm_id = provider.list_my_vms()[0].id
    plan = provider.plan_resize(vm_id, "demo.small")
    seen: list[tuple[ResizeStep, VmState | None]] = []

    def progress(step: ResizeStep, snapshot: VmSnapshot | None) -> None:
        seen.append((step, snapshot.state if snapshot else None))

    started = time.monotonic()
    final = provider.resize_vm(plan, progress, CancelToken())
    assert time.monotonic() - started < 5
    assert (final.size, final.state) == ("demo.small", VmState.RUNNING)
    steps = [step for step, _ in seen]
    assert steps[0] is ResizeStep.CHECKING and steps[-1] is ResizeStep.DONE
    assert (ResizeStep.STOPPING, VmState.STOPPING) in seen
    assert (ResizeStep.RESIZING, VmState.RESIZING) in seen
    assert (ResizeStep.STARTING, VmState.STARTING) in seen
    assert steps.index(ResizeStep.STOPPING) < steps.index(ResizeStep.RESIZING)
    assert steps.index(ResizeStep.RESIZING) < steps.index(ResizeStep.STARTING)


def test_a_fault_fires_once_or_every_time_as_asked() -> None:
    faults = DemoFaults.parse("start=capacity, list=offline*")
    provider = DemoProvider(timings=DemoTimings(call=0), faults=faults)
    for _ in range(2):
        with pytest.raises(errors.Offline):
            provider.list_my_vms()
    vm_id = "demo-0001"
    with pytest.raises(errors.InsufficientCapacity, match="no capacity"):
        provider.start_vm(vm_id)
    assert provider.start_vm(vm_id).state is VmState.STARTING  # once only
    faults.inject("refresh", "bug")
    with pytest.raises(DemoBug):
        provider.refresh(vm_id)
    faults.clear()
    assert provider.list_my_vms()[0].id == vm_id


@pytest.mark.parametrize("spec", ["start=meteor", "launch=offline", "start"])
def test_a_wrong_fault_spec_is_a_clear_config_error(spec: str) -> None:
    with pytest.raises(errors.BadConfig, match="Unknown demo fault"):
        DemoFaults.parse(spec)


def test_timings_come_from_the_environment() -> None:
    timings = DemoTimings.from_environment({"DEVTRAY_DEMO_TIME_SCALE": "0.5"})
    assert (timings.start, timings.stop, timings.call) == (10.0, 5.0, 0.075)
    delayed = DemoTimings.from_environment({"DEVTRAY_DEMO_CALL_DELAY": "2"})
    assert (delayed.start, delayed.call) == (20.0, 2.0)
    with pytest.raises(errors.BadConfig, match="DEVTRAY_DEMO_TIME_SCALE"):
        DemoTimings.from_environment({"DEVTRAY_DEMO_TIME_SCALE": "fast"})


def test_calls_take_the_configured_latency() -> None:
    slept: list[float] = []
    provider = DemoProvider(timings=DemoTimings(call=0.25), sleep=slept.append)
    provider.list_my_vms()
    assert slept == [0.25]
