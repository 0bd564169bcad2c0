"""The tray's Tunnels row and Open items, with a moto VM reached at a real sshd on 127.0.0.1.

The IDE is the one boundary we cannot run: `code` is a recording stand-in (see test_open_ide).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
import pytest
from pytestqt.qtbot import QtBot

from desktop.app import configured_providers
from desktop.core.config import load_config
from desktop.core.model import VmState
from desktop.presentation.rows import OpenInMenu, TunnelsMenu
from desktop.remote.supervisor import Supervisor
from desktop.remote.tunnels import TunnelState
from desktop.services.config import ConfigSource
from desktop.services.connect import ConnectService
from tests.integration.connect_helpers import moto_vm, write_config
from tests.integration.test_open_ide import _fake_ide, _recorded
from tests.integration.test_tunnels_real import _ping, _ssh_processes
from tests.moto_server import MotoEndpoint
from tests.qt.conftest import Harness
from tests.qt.test_tray import open_menu
from tests.sshd import SshServer, free_port


def test_tray_keeps_ssh_config_runs_tunnels_and_opens_vscode(
    qtbot: QtBot,
    make_tray,
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    isolated_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / ".devtray.toml").write_text('remote_path = "/srv/app"\n')
    write_config(config_file, sshd)
    local = free_port()
    with config_file.open("a") as handle:
        handle.write(
            f'\n[polling]\nfast_seconds = 0.05\n\n[tunnels]\nports = ["{local}:{sshd.port}"]\n'
            f'\n[connect]\nproject = "{project}"\n'
        )
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    record = _fake_ide(bin_dir, "code")
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    vm_id = moto_vm("devbox")

    service = ConnectService(ConfigSource(load_config()), Supervisor(tmp_path / "children"))
    harness: Harness = make_tray(
        providers=configured_providers,
        demo_mode=False,
        contributions=(TunnelsMenu(service), OpenInMenu(service)),
        on_view=(service.on_view,),
        on_quit=(service.close,),
    )
    qtbot.waitUntil(lambda: bool(harness.controller.view.vms), timeout=15000)
    assert harness.controller.view.vms[0].state is VmState.RUNNING

    # The SSH block follows the tray's snapshots.
    ssh_config = isolated_home / ".ssh" / "config"
    qtbot.waitUntil(lambda: ssh_config.exists() and "Host devbox.devtray" in ssh_config.read_text())

    # Tunnels: start from the menu, see them up, the forward answers (sshd's banner).
    menu = open_menu(harness.tray)
    assert menu[f"tunnels:{vm_id}:start"].isEnabled()
    menu[f"tunnels:{vm_id}:start"].trigger()
    qtbot.waitUntil(
        lambda: [s.state for s in service.tunnel_statuses(vm_id) or []] == [TunnelState.UP],
        timeout=20000,
    )
    menu = open_menu(harness.tray)
    assert menu[f"tunnels:{vm_id}"].text() == "T&unnels: 1/1 up"
    assert (
        menu[f"tunnels:{vm_id}:{local}"].text() == f"localhost:{local} -> localhost:{sshd.port}: up"
    )
    assert _ping(local).startswith(b"SSH-2.0-")
    marker = str(isolated_home)
    [tunnel] = _ssh_processes(marker)
    os.kill(tunnel.pid, signal.SIGKILL)
    qtbot.waitUntil(
        lambda: (
            [p.pid for p in _ssh_processes(marker)] not in ([], [tunnel.pid])
            and [s.state for s in service.tunnel_statuses(vm_id) or []] == [TunnelState.UP]
        ),
        timeout=20000,
    )

    # Open in VS Code: the exact arguments reach the (stand-in) IDE.
    menu["open-vscode:" + vm_id].trigger()
    assert _recorded(record) == [
        "--folder-uri",
        "vscode-remote://ssh-remote+devbox.devtray/srv/app",
    ]

    # Quitting stops the tunnels: no ssh is left.
    harness.tray.shutdown()
    assert _ssh_processes(marker) == []
    assert not psutil.pid_exists(tunnel.pid) or psutil.Process(tunnel.pid).status() == "zombie"


def test_demo_vms_never_reach_the_ssh_config(
    qtbot: QtBot, make_tray, isolated_home: Path, tmp_path: Path
) -> None:
    service = ConnectService(ConfigSource(load_config()), Supervisor(tmp_path / "children"))
    harness: Harness = make_tray(
        contributions=(TunnelsMenu(service), OpenInMenu(service)), on_view=(service.on_view,)
    )
    qtbot.waitUntil(lambda: bool(harness.controller.view.vms), timeout=5000)
    vm_id = harness.controller.view.vms[0].id
    menu = open_menu(harness.tray)
    assert not menu[f"tunnels:{vm_id}:start"].isEnabled()
    # The demo's rows are real (its day runs against a stand-in VM with its own SSH file):
    # a stopped demo VM says so, like any other.
    assert menu[f"tunnels:{vm_id}:start"].text() == "Start t&unnels — the VM is not running"
    assert menu[f"open-vscode:{vm_id}"].text() == "Open in &VS Code — the VM is not running"
    assert not (isolated_home / ".ssh" / "config").exists()
