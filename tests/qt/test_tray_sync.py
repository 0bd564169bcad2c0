"""The tray's Sync row: start sync from the menu, see its status, pause, resume, stop.

A moto VM reached at a real sshd on 127.0.0.1, real rsync, real Qt (offscreen); once with each
engine that CI can run (the built-in rsync engine and the agent engine).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.app import configured_providers
from desktop.core.config import load_config
from desktop.core.sync_state import SyncPhase
from desktop.presentation.rows import SyncMenu
from desktop.remote.supervisor import Supervisor
from desktop.services.config import ConfigSource
from desktop.services.connect import ConnectService
from desktop.services.sync import SyncService
from tests.integration.connect_helpers import moto_vm, write_config
from tests.integration.sync.test_up import _children_of_this_run
from tests.moto_server import MotoEndpoint
from tests.qt.conftest import Harness
from tests.qt.test_tray import open_menu
from tests.sshd import SshServer
from tests.sync_helpers import tree


@pytest.mark.parametrize("engine", ["builtin", "agent"])
def test_sync_row_starts_shows_pauses_and_stops(
    engine: str,
    qtbot: QtBot,
    make_tray,
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    isolated_home: Path,
    tmp_path: Path,
) -> None:
    project = tmp_path / "app"
    remote = tmp_path / "vm" / "app"
    project.mkdir()
    (project / ".devtray.toml").write_text(
        f'remote_path = "{remote}"\n\n[sync]\nengine = "{engine}"\n'
    )
    (project / "main.py").write_text("print('from the tray')\n")
    write_config(config_file, sshd)
    with config_file.open("a") as handle:
        handle.write(f'\n[polling]\nfast_seconds = 0.05\n\n[connect]\nproject = "{project}"\n')
    vm_id = moto_vm("devbox")
    connect = ConnectService(ConfigSource(load_config()), Supervisor(tmp_path / "children"))
    service = SyncService(connect)
    harness: Harness = make_tray(
        providers=configured_providers,
        demo_mode=False,
        contributions=(SyncMenu(service),),
        on_quit=(service.stop, connect.close),
    )
    qtbot.waitUntil(lambda: bool(harness.controller.view.vms), timeout=15000)

    menu = open_menu(harness.tray)
    assert menu[f"sync:{vm_id}:start"].isEnabled()
    menu[f"sync:{vm_id}:start"].trigger()
    qtbot.waitUntil(lambda: tree(remote) == tree(project), timeout=30000)
    qtbot.waitUntil(
        lambda: (
            (service.status(vm_id) or None) is not None
            and service.status(vm_id).phase is SyncPhase.WATCHING
        ),  # type: ignore[union-attr]
        timeout=10000,
    )
    assert service.status(vm_id).engine == engine  # type: ignore[union-attr]
    menu = open_menu(harness.tray)
    assert menu[f"sync:{vm_id}"].text().startswith("S&ync: watching")

    menu[f"sync:{vm_id}:pause"].trigger()
    qtbot.waitUntil(
        lambda: service.status(vm_id).phase is SyncPhase.PAUSED,  # type: ignore[union-attr]
        timeout=10000,
    )
    menu = open_menu(harness.tray)
    assert menu[f"sync:{vm_id}"].text() == "S&ync: paused"
    menu[f"sync:{vm_id}:resume"].trigger()
    (project / "later.py").write_text("after resume\n")
    qtbot.waitUntil(lambda: tree(remote) == tree(project), timeout=20000)

    # Auto-stop asks before stopping the VM: flushed -> go ahead; held back -> say why.
    vm = harness.controller.view.vm(vm_id)
    assert vm is not None
    assert service.flush_before_stop(vm) is None
    service.pause()
    (project / "held.py").write_text("held back while paused\n")
    qtbot.waitUntil(lambda: service.status(vm_id).pending > 0, timeout=10000)  # type: ignore[union-attr]
    reason = service.flush_before_stop(vm)
    assert reason is not None
    assert "unsynced changes" in reason

    harness.tray.shutdown()
    assert service.status(vm_id) is None
    assert _children_of_this_run((str(isolated_home), str(project))) == []
