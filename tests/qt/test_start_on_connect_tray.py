"""The tray's side of start on connect: which stops it records, and the CLI's notes it hears."""

from __future__ import annotations

import subprocess
import threading
from datetime import datetime, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.core.model import VmState
from desktop.core.stop_intent import StopIntentStore, StopSource
from desktop.qt.single_instance import SingleInstance
from desktop.remote.tray_socket import tell_tray
from tests.integration.connect_helpers import (
    devtray,
    moto_vm,
    shared_connections_closed,
    ssh_via_alias,
)
from tests.integration.vm_network import vm_network, write_config_via
from tests.moto_server import MotoEndpoint, ec2_client
from tests.qt.conftest import Harness
from tests.qt.test_cost_autostop import TZ, FakeClock, FakeSync, build, tick_until
from tests.qt.test_tray import open_menu, wait_for_state
from tests.sshd import SshServer

VM = "demo-0001"


def test_the_trays_stop_is_recorded_as_the_users(qtbot: QtBot, make_tray) -> None:
    harness: Harness = make_tray()
    wait_for_state(qtbot, harness, VmState.STOPPED)
    open_menu(harness.tray)[f"start:{VM}"].trigger()
    wait_for_state(qtbot, harness, VmState.RUNNING)
    assert StopIntentStore().load(VM) is None
    open_menu(harness.tray)[f"stop:{VM}"].trigger()
    wait_for_state(qtbot, harness, VmState.STOPPED)
    qtbot.waitUntil(lambda: StopIntentStore().load(VM) is not None, timeout=5000)
    intent = StopIntentStore().load(VM)
    assert intent is not None and intent.by is StopSource.TRAY


def test_an_automatic_stop_is_not_recorded(qtbot: QtBot, make_tray, tmp_path: Path) -> None:
    """Auto-stop's VM starts again when an IDE connects."""
    clock = FakeClock(datetime(2026, 11, 2, 18, 40, tzinfo=TZ))
    harness, watch = build(make_tray, tmp_path, clock, FakeSync())
    wait_for_state(qtbot, harness, VmState.RUNNING)
    tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 18, 59, tzinfo=TZ))
    clock.now += timedelta(minutes=1)
    with qtbot.waitSignal(watch.notified, timeout=5000) as stopping:
        tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 19, 5, tzinfo=TZ))
    assert stopping.args[0] == "Stopping the VM"
    wait_for_state(qtbot, harness, VmState.STOPPED)
    assert StopIntentStore().load(VM) is None


def test_the_tray_hears_the_clis_note_and_a_plain_knock_still_shows_the_menu(
    qtbot: QtBot,
) -> None:
    tray = SingleInstance()
    assert tray.claim()
    tray.listen()
    heard: list[str] = []
    tray.show_requested.connect(lambda: heard.append("show"))
    try:
        note = {"cmd": "connect.starting", "vm": "devbox", "app": "VS Code"}
        with qtbot.waitSignal(tray.message_received, timeout=3000) as received:
            assert tell_tray(note)  # the standard library's socket, no Qt, as the CLI sends it
        assert received.args == [note]
        assert heard == []
        second = SingleInstance()
        with qtbot.waitSignal(tray.show_requested, timeout=3000):
            assert second.claim() is False
    finally:
        tray.release()
    assert tell_tray(note) is False  # nobody listens any more


def test_ssh_tells_the_running_tray_that_it_starts_the_vm(
    qtbot: QtBot, moto: MotoEndpoint, sshd: SshServer, config_file: Path, isolated_home: Path
) -> None:
    vm_id = moto_vm("devbox")
    with vm_network(vm_id, sshd.port) as port:  # a stopped VM's SSH does not answer
        write_config_via(config_file, sshd, port)
        assert devtray("ssh-config")[0] == 0
        ec2_client().stop_instances(InstanceIds=[vm_id])  # auto-stop, say: starts on connect
        ssh_config = isolated_home / ".ssh" / "config"
        tray = SingleInstance()
        assert tray.claim()
        tray.listen()
        done: list[subprocess.CompletedProcess[str]] = []
        # ssh runs on a thread: the tray's socket is answered by this (the GUI) thread.
        connecting = threading.Thread(
            target=lambda: done.append(ssh_via_alias(ssh_config, "devbox.devtray", "true"))
        )
        try:
            with shared_connections_closed(ssh_config, "devbox.devtray"):
                with qtbot.waitSignal(tray.message_received, timeout=30_000) as heard:
                    connecting.start()
                connecting.join(timeout=60)
        finally:
            tray.release()
    assert done and done[0].returncode == 0, done and done[0].stderr
    note = heard.args[0]
    assert (note["cmd"], note["vm"]) == ("connect.starting", "devbox")
