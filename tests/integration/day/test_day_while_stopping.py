"""Start my day (or `devtray up`) while the VM is still stopping — right after End my day or an
auto-stop — waits for the stop to finish and starts the VM again, instead of failing with
"demo-devbox is stopped instead of running".

The cloud here is the demo's (moto stops instances at once; the demo cloud takes its time, as
EC2 does), reached through the demo's simulated link so no sshd is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.model import VmState
from desktop.core.polling import wait_for_state
from desktop.core.project import load_project
from desktop.core.provider import CancelToken
from desktop.remote.supervisor import Supervisor
from desktop.services.config import ConfigSource
from desktop.services.day import DayEvent, DayStep
from desktop.services.demo_world import create
from desktop.services.registry import build_day


def test_a_day_started_while_its_vm_is_stopping_waits_for_the_stop_then_starts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVTRAY_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("DEVTRAY_DEMO_TIME_SCALE", "0.05")  # a stop takes ~0.5 s
    world = create(which=lambda _name: None)  # no OpenSSH here: the simulated stand-in
    provider = world.provider
    day = build_day(
        ConfigSource(world.config()),
        lambda: [provider],
        None,
        Supervisor(tmp_path / "children"),
        writer=world.writer,
        link=world.link(),
    )
    events: list[DayEvent] = []
    day.subscribe(events.append)
    try:
        vm = provider.list_my_vms()[0]
        provider.start_vm(vm.id)
        wait_for_state(
            lambda: provider.refresh(vm.id), {VmState.RUNNING}, cancel=CancelToken(), interval=0.05
        )
        assert provider.stop_vm(vm.id).state is VmState.STOPPING

        # Before: "demo-devbox is stopped instead of running", and the day failed.
        ready = day.bring_up(load_project(world.project))

        assert ready.vm_id == vm.id
        assert provider.refresh(vm.id).state is VmState.RUNNING
        details = [e.text for e in events if e.step is DayStep.VM_STARTED]
        assert any(text.startswith("Waiting for demo-devbox to stop…") for text in details), details
    finally:
        day.close(forget=True)
        world.close()
