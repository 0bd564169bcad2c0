"""End to end: Start my day in the real tray (Xvfb + trayer + xdotool), against a stopped moto VM
whose SSH is the loopback sshd — the VM starts, the SSH block is written, a tunnel answers, an
edit reaches the VM, and the IDE stand-in (a named fake `code` on PATH that records its argv)
is asked to open `vscode-remote://ssh-remote+ALIAS/PATH`. Screenshots of the menu during the
day (starting, syncing, ready) and of the ready notification go to `artifacts/screenshots/`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.e2e.test_tray_e2e import end_if_running, logged, open_tray_menu, quit_from_menu
from tests.integration.test_open_ide import _fake_ide, _recorded
from tests.moto_server import MotoEndpoint, ec2_client
from tests.sshd import SshServer, free_port
from tests.sync_helpers import tree
from tests.tray_builder import day_project
from tests.xsession import SCREENSHOTS, X_SESSION_TOOLS, Desktop, Window, eventually, x_session

PROJECT_FILES = 4000  # enough that the initial sync lasts long enough to be seen


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    """Xvfb, a session bus and trayer (see tests/xsession.py)."""
    require_tool(*X_SESSION_TOOLS)
    with x_session() as session:
        yield session


@pytest.fixture
def vm_app(tmp_path: Path) -> Iterator[int]:
    """The web app "on the VM" (the VM is this machine): what the project's tunnel reaches."""
    served = tmp_path / "vm-app"
    served.mkdir()
    (served / "index.html").write_text("hello through the tunnel\n")
    handler = partial(SimpleHTTPRequestHandler, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_start_my_day_from_the_tray_against_a_stopped_vm(
    desktop: Desktop,
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    tmp_path: Path,
    vm_app: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local_port = free_port()
    project, remote, vm_id = day_project(
        tmp_path,
        config_file,
        sshd,
        files=PROJECT_FILES,
        toml=f'ports = ["{local_port}:127.0.0.1:{vm_app}"]\nide = "vscode"\n',
        config="[polling]\nfast_seconds = 0.5",
    )
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    code_args = _fake_ide(bin_dir, "code")  # the named IDE stand-in
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    sshd.stop()  # the VM's SSH is not up yet: the day waits for it, as after a real boot

    app = subprocess.Popen(
        [sys.executable, "-m", "desktop"],
        env={**desktop.env, "QT_QPA_PLATFORM": "xcb"},
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        def open_menu() -> Window:
            return open_tray_menu(desktop)

        def close_menu() -> None:
            desktop.keys("Escape")
            time.sleep(0.3)

        eventually(lambda: logged(f"devbox ({vm_id}) is stopped"), "the stopped VM", 30)
        eventually(lambda: logged("day rows for 1 project"), "the day rows", 30)
        menu = open_menu()
        desktop.screenshot("day-menu-stopped.png", menu)
        desktop.keys("d")  # Start my day (its mnemonic): the one click of the day

        eventually(lambda: logged("day: step_started ssh_ready"), "waiting for SSH", 60)
        assert ec2_client().describe_instances(InstanceIds=[vm_id])["Reservations"][0]["Instances"][
            0
        ]["State"]["Name"] in ("pending", "running")
        ssh_block = (tmp_path / "home" / ".ssh" / "config").read_text()
        assert "Host devbox.devtray" in ssh_block
        time.sleep(1.5)  # the row's elapsed seconds move on
        desktop.screenshot("day-menu-starting.png", open_menu())
        close_menu()
        sshd.start()  # the VM's SSH answers

        eventually(lambda: logged("day: step_started sync"), "the initial sync", 60)
        desktop.screenshot("day-menu-syncing.png", open_menu())
        close_menu()

        eventually(lambda: logged("day: ready"), "the day is ready", 120)
        assert _recorded(code_args, timeout=30)[-1] == (
            f"vscode-remote://ssh-remote+devbox.devtray{remote}"
        )
        # The notification (a Qt balloon: no notification server in this session) says so.
        balloon = eventually(
            lambda: next(
                (
                    w
                    for w in desktop.windows("--classname", "devtray")
                    if w.height <= 200 and w.width > 64
                ),
                None,
            ),
            "the ready notification",
        )
        desktop.screenshot("day-ready-notification.png", balloon)
        desktop.screenshot("day-menu-ready.png", open_menu())
        close_menu()

        assert tree(remote) == tree(project)
        page = urllib.request.urlopen(f"http://127.0.0.1:{local_port}/index.html", timeout=10)
        assert page.read() == b"hello through the tunnel\n"
        (project / "edited.py").write_text("EDITED = True\n")
        eventually(lambda: (remote / "edited.py").exists(), "the edit on the VM", 30)

        open_menu()
        quit_from_menu(desktop, app, timeout=30)
    finally:
        end_if_running(app)
    for name in (
        "day-menu-stopped.png",
        "day-menu-starting.png",
        "day-menu-syncing.png",
        "day-menu-ready.png",
        "day-ready-notification.png",
    ):
        assert (SCREENSHOTS / name).exists()
