"""The day service against moto (the cloud) and the loopback sshd (the VM): each step, and
each step's undo when a later one fails or the user cancels."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from desktop.app import configured_providers
from desktop.core.project import load_project
from desktop.core.provider import CancelToken
from desktop.remote.sync import control
from desktop.services.day import (
    DayCancelled,
    DayEvent,
    DayEventKind,
    DayFailed,
    DayPhase,
    DayStep,
    StepState,
)
from tests.integration.connect_helpers import moto_vm
from tests.integration.day.helpers import other_key, rig, stop_in_moto, vm_state
from tests.integration.sync.test_up import _children_of_this_run
from tests.integration.test_open_ide import _fake_ide, _recorded
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer, free_port
from tests.sync_helpers import tree


def _refuse_our_key(config_file: Path, sshd: SshServer, tmp_path: Path) -> None:
    text = config_file.read_text().replace(str(sshd.client_key), str(other_key(tmp_path)))
    config_file.write_text(text)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_stopped_vm_day_comes_up_then_ends(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    vm_id = moto_vm("devbox")
    stop_in_moto(vm_id)
    day = rig(tmp_path, config_file, sshd)

    ready = day.day.bring_up(day.project)

    assert ready.describe() == f"Ready: devbox.devtray {day.remote}"
    assert vm_state(vm_id) == "running"
    assert tree(day.remote) == tree(day.project.root)
    progress = day.day.latest()
    assert progress.phase is DayPhase.READY
    assert dict(progress.steps) == {
        DayStep.SIGNED_IN: StepState.DONE,
        DayStep.VM_STARTED: StepState.DONE,
        DayStep.SSH_CONFIG: StepState.DONE,
        DayStep.SSH_READY: StepState.DONE,
        DayStep.TUNNELS: StepState.SKIPPED,
        DayStep.SYNC: StepState.DONE,
        DayStep.IDE_OPEN: StepState.SKIPPED,
    }
    started = [e.step for e in day.events if e.kind is DayEventKind.STEP_STARTED and e.step]
    assert started == [
        DayStep.SIGNED_IN,
        DayStep.VM_STARTED,
        DayStep.SSH_CONFIG,
        DayStep.SSH_READY,
        DayStep.SYNC,
    ]
    record = day.day.record()
    assert record is not None and record.vm_id == vm_id

    ended = day.day.wind_down()

    assert vm_state(vm_id) in ("stopping", "stopped")
    assert day.day.record() is None
    assert control.ask(day.project.root, "status") is None
    assert _children_of_this_run((str(day.project.root),)) == []
    assert ended.stopped
    assert ended.describe().startswith("Today: ")


def test_a_failing_ssh_stops_the_vm_this_day_started(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    vm_id = moto_vm("devbox")
    stop_in_moto(vm_id)
    day = rig(tmp_path, config_file, sshd)
    _refuse_our_key(config_file, sshd, tmp_path)
    day.day.config.poll()
    began = time.monotonic()

    with pytest.raises(DayFailed) as failed:
        day.day.bring_up(day.project)

    # Issue 12 item 19: a refused key ends the wait at once, in ssh's words.
    assert time.monotonic() - began < 60
    assert failed.value.failure.step is DayStep.SSH_READY
    assert "Permission denied" in failed.value.failure.reason
    assert vm_state(vm_id) in ("stopping", "stopped")
    progress = day.day.latest()
    assert progress.phase is DayPhase.FAILED
    assert progress.state_of(DayStep.VM_STARTED) is StepState.UNDONE
    assert progress.state_of(DayStep.SSH_READY) is StepState.FAILED
    assert day.day.record() is None
    details = [e.text for e in day.events if e.kind is DayEventKind.STEP_DETAIL]
    assert any("ssh answered" in text and "Permission denied" in text for text in details)


def test_a_vm_that_was_already_running_keeps_running_after_a_failure(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    vm_id = moto_vm("devbox")
    day = rig(tmp_path, config_file, sshd)
    _refuse_our_key(config_file, sshd, tmp_path)
    day.day.config.poll()

    with pytest.raises(DayFailed):
        day.day.bring_up(day.project)

    assert vm_state(vm_id) == "running"
    assert day.day.latest().state_of(DayStep.VM_STARTED) is StepState.SKIPPED


def test_a_failing_sync_ends_the_tunnels(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    moto_vm("devbox")
    local = free_port()
    day = rig(tmp_path, config_file, sshd, ports=(f"{local}:{sshd.port}",))
    # The VM folder cannot be made: its parent is a file.
    blocker = tmp_path / "vm"
    blocker.write_text("not a folder\n")
    seen_up: list[bool] = []

    def tunnel_was_up(event: DayEvent) -> None:
        if event.kind is DayEventKind.STEP_STARTED and event.step is DayStep.SYNC:
            seen_up.append(_port_open(local))

    with pytest.raises(DayFailed) as failed:
        day.day.bring_up(day.project, listener=tunnel_was_up)

    assert failed.value.failure.step is DayStep.SYNC
    assert seen_up == [True]
    assert day.day.latest().state_of(DayStep.TUNNELS) is StepState.UNDONE
    assert not _port_open(local)
    assert control.ask(day.project.root, "status") is None


def test_a_failing_ide_ends_sync_and_tunnels(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    moto_vm("devbox")
    local = free_port()
    day = rig(tmp_path, config_file, sshd, ports=(f"{local}:{sshd.port}",))
    toml = day.project.root / ".devtray.toml"
    toml.write_text(toml.read_text() + 'ide = "pycharm"\n')
    day.day.config.poll()
    assert shutil.which("pycharm") is None  # the failure this test relies on

    with pytest.raises(DayFailed) as failed:
        day.day.bring_up(load_project(day.project.root), open_ide=True)

    assert failed.value.failure.step is DayStep.IDE_OPEN
    assert "PyCharm" in failed.value.failure.reason
    progress = day.day.latest()
    assert progress.state_of(DayStep.SYNC) is StepState.UNDONE
    assert progress.state_of(DayStep.TUNNELS) is StepState.UNDONE
    assert control.ask(day.project.root, "status") is None
    assert not _port_open(local)


def test_the_ide_is_asked_to_open_the_remote_folder(
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moto_vm("devbox")
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    record = _fake_ide(bin_dir, "code")  # a named fake: no GUI IDE runs here
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    day = rig(tmp_path, config_file, sshd)

    day.day.bring_up(day.project, open_ide=True)
    try:
        assert f"vscode-remote://ssh-remote+devbox.devtray{day.remote}" in _recorded(record)
    finally:
        day.day.close(forget=True)


def test_cancel_undoes_what_was_done(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    vm_id = moto_vm("devbox")
    stop_in_moto(vm_id)
    day = rig(tmp_path, config_file, sshd)
    cancel = CancelToken()

    def cancel_at_ssh(event: DayEvent) -> None:
        if event.kind is DayEventKind.STEP_STARTED and event.step is DayStep.SSH_READY:
            cancel.cancel()

    with pytest.raises(DayCancelled):
        day.day.bring_up(day.project, listener=cancel_at_ssh, cancel=cancel)

    assert vm_state(vm_id) in ("stopping", "stopped")
    assert day.day.latest().phase is DayPhase.CANCELLED
    assert day.day.latest().state_of(DayStep.VM_STARTED) is StepState.UNDONE


def test_stopping_flushes_then_ends_sync_and_it_comes_back_with_the_vm(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    vm_id = moto_vm("devbox")
    day = rig(tmp_path, config_file, sshd)
    day.day.bring_up(day.project)
    provider = configured_providers()[0]
    vm = provider.refresh(vm_id)
    day.day.on_vm(vm, [vm])
    (day.project.root / "main.py").write_text("print('last edit before the stop')\n")

    assert day.day.before_stop(vm) is None

    assert tree(day.remote) == tree(day.project.root)  # flushed first
    assert control.ask(day.project.root, "status") is None  # then ended
    stopped = provider.stop_vm(vm_id)
    day.day.on_vm(stopped, [stopped])
    started = provider.start_vm(vm_id)
    running = provider.refresh(started.id)
    day.day.on_vm(running, [running])
    deadline = time.monotonic() + 20
    while control.ask(day.project.root, "status") is None and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert control.ask(day.project.root, "status") is not None  # back with the VM
    finally:
        day.day.close(forget=True)
