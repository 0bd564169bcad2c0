"""Start my day / End my day in the tray, built the way production builds it (the composition
root's add-ons), against moto (the cloud) and the loopback sshd (the VM), real rsync, real Qt
offscreen. The IDE is the only fake: a named stand-in `code` on PATH that records its argv.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from desktop.app import DemoWorldOnce
from desktop.qt.day_runner import DayNotice, DayRunner
from desktop.qt.tray import TrayApp
from desktop.remote.ssh_config import DEMO_BLOCK, remove_block
from desktop.remote.tunnels import port_accepts
from desktop.services.day import DayPhase, DayStep, StepState
from desktop.services.day_store import DayStore
from tests.integration.connect_helpers import moto_vm, write_config
from tests.integration.day.helpers import stop_in_moto, vm_state
from tests.integration.sync.test_up import _children_of_this_run
from tests.integration.test_open_ide import _fake_ide, _recorded
from tests.moto_server import MotoEndpoint, ec2_client
from tests.qt.conftest import FAST_POLLING
from tests.qt.test_notification_actions import (  # noqa: F401  (fixtures)
    StartServer,
    notification_server,
    session_bus,
)
from tests.qt.test_tray import open_menu
from tests.sshd import SshServer
from tests.sync_helpers import tree
from tests.tray_builder import day_project, production_tray


@dataclass
class DayTray:
    """A tray with its day, a project folder, the folder standing for it on the VM."""

    tray: TrayApp
    project: Path
    remote: Path
    vm_id: str
    code_args: Path  # what the stand-in `code` was asked to open
    texts: list[str] = field(default_factory=list)  # every day:primary text shown, in order

    @property
    def day(self) -> DayRunner:
        assert self.tray.day is not None
        return self.tray.day

    def menu(self) -> dict[str, str]:
        """The menu as opened now: key -> label as read (mnemonic marks dropped)."""
        return labels(self.tray)

    def notice_after(self, qtbot: QtBot, count: int) -> DayNotice:
        """The first notice after the first `count` (waits for it: results follow events)."""
        shown = self.tray.day_actions.shown
        qtbot.waitUntil(lambda: len(shown) > count, timeout=60000)
        return shown[count]

    def click(self, key: str) -> None:
        action = open_menu(self.tray)[key]
        assert action.isEnabled(), f"{key} is disabled: {action.text()}"
        action.trigger()


def labels(tray: TrayApp) -> dict[str, str]:
    """The menu as opened now: key -> label as a person reads it (disabled rows too)."""
    return {
        key: action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
        for key, action in open_menu(tray).items()
    }


def build_tray(
    qtbot: QtBot, *, demo: DemoWorldOnce | None = None, projects: bool = True
) -> TrayApp:
    """The tray as `start_tray` builds it, once its day rows and first look are in."""
    tray = production_tray(FAST_POLLING, demo)
    qtbot.waitUntil(
        lambda: (
            tray.day is not None
            and bool(tray.day.panel.projects) is projects
            and tray.controller.view.loaded
        ),
        timeout=20000,
    )
    return tray


@pytest.fixture
def day_tray(
    qtbot: QtBot,
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., DayTray]]:
    built: list[TrayApp] = []
    # No session bus: the day speaks through tray messages (buttons have their own test).
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin")
    code_args = _fake_ide(bin_dir, "code")  # the named IDE stand-in

    def make(*, running: bool = False, open_ide: bool = True, record: bool = True) -> DayTray:
        project, remote, vm_id = day_project(
            tmp_path,
            config_file,
            sshd,
            toml='ide = "vscode"\n',
            config="[polling]\nfast_seconds = 0.05\n\n[connect]\n"
            f"open_ide = {str(open_ide).lower()}",
            running=running,
        )
        tray = build_tray(qtbot)
        built.append(tray)
        rig = DayTray(tray, project, remote, vm_id, code_args)
        if record:  # (reading the menu renders it)
            tray.day.changed.connect(  # type: ignore[union-attr]
                lambda: rig.texts.append(rig.menu().get("day:primary", ""))
            )
        return rig

    yield make
    for tray in built:
        tray.shutdown()
    # No ssh or rsync of the laptop side outlives the tray (the VM's own are the VM's).
    assert _children_of_this_run((str(tmp_path / "home"), str(tmp_path / "app"))) == []


def test_start_my_day_brings_a_stopped_vm_up_opens_vscode_then_end_my_day_stops_it(
    qtbot: QtBot, day_tray: Callable[..., DayTray]
) -> None:
    rig = day_tray()
    menu = rig.menu()
    assert list(menu)[:6] == [
        "title",
        "day:status",
        "day:primary",
        "day:open",
        "day:end",
        "projects",
    ]
    assert menu["day:status"] == "devbox · stopped"
    assert menu["day:primary"] == "▶ Start my day — app on devbox"
    assert menu["day:open"] == "Open in VS Code (starts devbox)"
    assert menu["day:end"] == "■ End my day — nothing is running"

    rig.click("day:primary")
    notice = rig.notice_after(qtbot, 0)
    assert rig.day.panel.progress.phase is DayPhase.READY

    # While it ran, the row said which step of how many and for how long, and clicking it
    # would have cancelled.
    running = [text for text in rig.texts if text.startswith("■ ")]
    assert any("Starting devbox… (step 2 of 7)" in text for text in running), running
    assert any("Waiting for SSH on devbox… (step 4 of 7)" in text for text in running)
    assert all(text.split(" · ")[-1].endswith(" s") for text in running)
    assert vm_state(rig.vm_id) == "running"
    assert tree(rig.remote) == tree(rig.project)
    args = _recorded(rig.code_args)
    assert args[-1] == f"vscode-remote://ssh-remote+devbox.devtray{rig.remote}"
    assert notice.title == "devbox is ready"
    assert notice.open_project is not None and notice.open_project.root == rig.project

    # The tray looked at the cloud as the day moved on: the VM's own rows agree.
    qtbot.waitUntil(lambda: rig.menu()[f"state:{rig.vm_id}"].startswith("State: running"))
    menu = rig.menu()
    assert menu["day:status"].startswith("Ready · devbox")
    assert menu["day:primary"] == "Open in VS Code"
    assert list(menu)[:5] == ["title", "day:status", "day:primary", "day:end", "projects"]
    # The icon and tooltip follow the day within a frame (its changes are drawn once a frame).
    qtbot.waitUntil(lambda: "Ready · devbox" in rig.tray.icon.toolTip(), timeout=1000)

    # The notification's click (no buttons here) opens the project again.
    rig.code_args.unlink()
    rig.tray.icon.messageClicked.emit()
    assert _recorded(rig.code_args)[-1] == args[-1]

    rig.click("day:end")
    ended = rig.notice_after(qtbot, 1)
    assert vm_state(rig.vm_id) in ("stopping", "stopped")
    assert ended.title == "devbox stopped"
    assert ended.message.startswith("Today: ")
    qtbot.waitUntil(lambda: "Today: " in rig.menu()["day:status"], timeout=10000)
    assert rig.menu()["day:primary"] == "▶ Start my day — app on devbox"


def test_clicking_the_running_row_cancels_and_leaves_nothing_running(
    qtbot: QtBot, day_tray: Callable[..., DayTray], sshd: SshServer
) -> None:
    rig = day_tray()
    sshd.stop()  # the VM boots but its SSH does not answer yet: the day waits there
    rig.click("day:primary")
    qtbot.waitUntil(lambda: rig.day.panel.progress.current is DayStep.SSH_READY, timeout=30000)
    assert vm_state(rig.vm_id) == "running"
    menu = open_menu(rig.tray)
    assert menu["day:primary"].text().startswith("■ Waiting for SSH on devbox…")
    menu["day:primary"].trigger()  # the same row is Cancel while the day starts

    assert rig.notice_after(qtbot, 0).title == "Start cancelled"
    progress = rig.day.panel.progress
    assert progress.phase is DayPhase.CANCELLED
    assert progress.state_of(DayStep.VM_STARTED) is StepState.UNDONE
    assert vm_state(rig.vm_id) in ("stopping", "stopped")  # the VM this start started
    assert not rig.code_args.exists()
    assert rig.menu()["day:primary"] == "▶ Start my day — app on devbox"


def test_a_failed_step_names_itself_and_retry_brings_the_day_up(
    qtbot: QtBot,
    day_tray: Callable[..., DayTray],
    config_file: Path,
    sshd: SshServer,
    tmp_path: Path,
) -> None:
    rig = day_tray(open_ide=False)
    good = config_file.read_text()
    stranger = tmp_path / "stranger"  # a key the VM's sshd does not accept
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True, timeout=30
    )
    config_file.write_text(good.replace(str(sshd.client_key), str(stranger)))
    rig.day.service.config.poll()

    rig.click("day:primary")
    assert rig.notice_after(qtbot, 0).problem is not None
    assert rig.day.panel.progress.phase is DayPhase.FAILED
    menu = rig.menu()
    assert menu["day:status"] == "devbox · could not start the day"
    assert menu["day:failure"].startswith("SSH failed: ")
    assert "Permission denied" in menu["day:failure"]
    assert menu["day:primary"] == "↻ Retry: start my day — app on devbox"
    assert vm_state(rig.vm_id) in ("stopping", "stopped")  # the VM it started is stopped again
    failed_at = rig.day.panel.progress.failure
    assert failed_at is not None and failed_at.step is DayStep.SSH_READY

    config_file.write_text(good)
    rig.day.service.config.poll()
    qtbot.waitUntil(lambda: vm_state(rig.vm_id) == "stopped", timeout=10000)
    rig.click("day:primary")
    qtbot.waitUntil(lambda: rig.day.panel.progress.phase is DayPhase.READY, timeout=60000)
    assert tree(rig.remote) == tree(rig.project)
    assert not rig.code_args.exists()  # open_ide = false: the day does not open the IDE


def test_open_in_vscode_while_stopped_starts_the_day_and_opens(
    qtbot: QtBot, day_tray: Callable[..., DayTray]
) -> None:
    rig = day_tray(open_ide=False)  # the setting is off, but this row asks for the IDE
    rig.click("day:open")
    qtbot.waitUntil(lambda: rig.day.panel.progress.phase is DayPhase.READY, timeout=60000)
    assert vm_state(rig.vm_id) == "running"
    assert _recorded(rig.code_args)[-1] == f"vscode-remote://ssh-remote+devbox.devtray{rig.remote}"
    rig.click("day:end")
    qtbot.waitUntil(lambda: rig.day.panel.progress.ended is not None, timeout=30000)


def test_a_stopped_vms_open_rows_start_its_projects_day_and_open_that_ide(
    qtbot: QtBot, day_tray: Callable[..., DayTray], tmp_path: Path
) -> None:
    gateway_args = _fake_ide(tmp_path / "fake-bin", "gateway")  # the named Gateway stand-in
    rig = day_tray(open_ide=False)
    menu = rig.menu()
    # Before: "Open in VS Code — the VM is not running", a dead row under a live one.
    assert menu[f"open-vscode:{rig.vm_id}"] == "Open in VS Code (app, starts devbox)"
    assert menu[f"open-gateway:{rig.vm_id}"] == "Open in JetBrains Gateway (app, starts devbox)"

    rig.click(f"open-gateway:{rig.vm_id}")

    qtbot.waitUntil(lambda: rig.day.panel.progress.phase is DayPhase.READY, timeout=60000)
    assert vm_state(rig.vm_id) == "running"
    assert tree(rig.remote) == tree(rig.project)
    link = _recorded(gateway_args)[-1]
    assert link.startswith("jetbrains-gateway://connect#type=ssh")
    assert "host=devbox.devtray" in link
    assert not rig.code_args.exists()  # the row's IDE, not the project's own (VS Code)
    qtbot.waitUntil(lambda: rig.menu()[f"state:{rig.vm_id}"].startswith("State: running"))
    assert rig.menu()[f"open-gateway:{rig.vm_id}"] == "Open in JetBrains Gateway (app)"
    rig.click("day:end")
    qtbot.waitUntil(lambda: rig.day.panel.progress.ended is not None, timeout=30000)


def test_the_tray_asks_the_cloud_when_the_day_moves_the_vm_not_at_every_step(
    qtbot: QtBot, day_tray: Callable[..., DayTray]
) -> None:
    rig = day_tray(open_ide=False)
    asked: list[tuple[DayPhase, str | None]] = []
    controller = rig.tray.controller
    refresh = controller.refresh_now

    def counted() -> None:
        if sys._getframe(1).f_code.co_name == "_render_day":  # the day's asks (not the polls)
            progress = rig.day.panel.progress
            asked.append((progress.phase, progress.current))
        refresh()

    controller.refresh_now = counted  # type: ignore[method-assign]
    rig.click("day:primary")
    qtbot.waitUntil(lambda: rig.day.panel.progress.phase is DayPhase.READY, timeout=60000)
    qtbot.waitUntil(lambda: rig.menu()[f"state:{rig.vm_id}"].startswith("State: running"))

    # Before: one listing per step the tray drew, the first while the day lists the VMs
    # itself. Now: when the start is asked, when the VM runs, when the day is ready.
    assert len(asked) <= 3, asked
    assert asked[0][1] == DayStep.VM_STARTED, asked
    rig.click("day:end")
    qtbot.waitUntil(lambda: rig.day.panel.progress.ended is not None, timeout=30000)


def test_a_vms_sync_row_syncs_its_project_from_the_projects_list(
    qtbot: QtBot, day_tray: Callable[..., DayTray]
) -> None:
    rig = day_tray(running=True, open_ide=False)  # the project is only in [[projects]]
    qtbot.waitUntil(lambda: rig.menu()[f"state:{rig.vm_id}"].startswith("State: running"))

    # Before: "No project is set to sync." — the row knew only [connect] project.
    rig.click(f"sync:{rig.vm_id}:start")

    qtbot.waitUntil(
        lambda: rig.remote.exists() and tree(rig.remote) == tree(rig.project), timeout=30000
    )
    qtbot.waitUntil(lambda: rig.menu()[f"sync:{rig.vm_id}"].startswith("Sync: "), timeout=10000)
    assert not rig.tray.problems  # no error was raised


def test_a_running_day_comes_back_after_a_tray_restart(
    qtbot: QtBot, day_tray: Callable[..., DayTray]
) -> None:
    rig = day_tray(open_ide=False)
    rig.click("day:primary")
    qtbot.waitUntil(lambda: rig.day.panel.progress.phase is DayPhase.READY, timeout=60000)
    rig.tray.shutdown()  # quit: the day's children stop, its record stays

    again = build_tray(qtbot)
    try:
        assert again.day is not None
        qtbot.waitUntil(lambda: again.day.panel.progress.phase is DayPhase.READY, timeout=30000)  # type: ignore[union-attr]
        (rig.project / "after_restart.py").write_text("x = 1\n")
        qtbot.waitUntil(lambda: tree(rig.remote) == tree(rig.project), timeout=30000)
        assert labels(again)["day:status"].startswith("Ready · devbox")
    finally:
        again.shutdown()


def test_a_day_whose_vm_the_cloud_takes_back_resumes_when_it_runs_again(
    qtbot: QtBot, day_tray: Callable[..., DayTray]
) -> None:
    # A spot interruption as the tray meets it: AWS stops the VM (the persistent request's
    # `stop` behaviour), later starts it again; nobody clicks anything in between.
    rig = day_tray(open_ide=False)
    rig.click("day:primary")
    qtbot.waitUntil(lambda: rig.day.panel.progress.phase is DayPhase.READY, timeout=60000)
    tray = rig.tray

    stop_in_moto(rig.vm_id)
    # Too late to flush: the day's sync ends (the VM is gone), the day itself stays on record.
    qtbot.waitUntil(lambda: f"sync:{rig.vm_id}:start" in open_menu(tray), timeout=30000)
    assert labels(tray)[f"state:{rig.vm_id}"].startswith("State: stopped")
    record = DayStore().load()
    assert record is not None and record.vm_id == rig.vm_id

    ec2_client().start_instances(InstanceIds=[rig.vm_id])
    # Back by itself: sync runs again and carries what was written meanwhile.
    qtbot.waitUntil(lambda: f"sync:{rig.vm_id}:stop" in open_menu(tray), timeout=30000)
    (rig.project / "after_interruption.py").write_text("x = 1\n")
    qtbot.waitUntil(lambda: tree(rig.remote) == tree(rig.project), timeout=60000)
    assert labels(tray)["day:status"].startswith("Ready · devbox")


def demo_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's world under `tmp_path`, fast (a start takes 0.4 s), no session bus, and the
    named IDE stand-in `code` first on PATH; returns where `code` records what it opened."""
    monkeypatch.setenv("DEVTRAY_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("DEVTRAY_DEMO_TIME_SCALE", "0.02")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin")
    return _fake_ide(bin_dir, "code")


def _app_page_through_the_tunnel(project: Path) -> tuple[int, bytes]:
    """The demo project's forwarded local port, and the stand-in's page fetched through it."""
    forward = next(
        line
        for line in (project / ".devtray.toml").read_text().splitlines()
        if line.startswith("ports")
    )
    local = int(forward.split('"')[1].split(":")[0])
    page = urllib.request.urlopen(f"http://127.0.0.1:{local}/hello-app/index.html", timeout=10)
    return local, page.read()


def test_the_demo_runs_the_whole_day_against_its_stand_in_vm(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code_args = demo_session(tmp_path, monkeypatch)
    world = DemoWorldOnce()
    tray = build_tray(qtbot, demo=world)
    try:
        menu = labels(tray)
        assert menu["title"] == "devtray (Demo)"
        assert menu["day:primary"] == "▶ Start my day — hello-app on demo-devbox"
        assert not any("not in the demo" in text for text in menu.values())
        open_menu(tray)["day:primary"].trigger()
        qtbot.waitUntil(lambda: tray.day_actions.shown != [], timeout=60000)
        assert tray.day_actions.shown[0].title == "demo-devbox is ready", tray.day_actions.shown
        demo = world.get()
        remote = demo.standin.disk / "hello-app"
        assert tree(remote) == tree(demo.project)
        # The tunnel reaches the stand-in VM's web app, which serves the synced project.
        assert b"Hello from the demo VM" in _app_page_through_the_tunnel(demo.project)[1]
        assert _recorded(code_args)[-1] == f"vscode-remote://ssh-remote+demo-devbox.devtray{remote}"
        qtbot.waitUntil(
            lambda: labels(tray)["day:status"] == "Ready · demo-devbox · $0.1747/h", timeout=10000
        )
        # An edit reaches the VM; Sync and Tunnels rows are live.
        (demo.project / "app.py").write_text('print("edited in the demo")\n')
        qtbot.waitUntil(lambda: tree(remote) == tree(demo.project), timeout=20000)
        menu = labels(tray)
        vm_id = tray.controller.view.vms[0].id
        assert menu[f"sync:{vm_id}"].startswith("Sync: ")
        assert menu[f"tunnels:{vm_id}"] == "1 of 1 tunnel up"
        # The demo VM's host is where IDEs look (~/.ssh/config), in the demo's own block.
        ssh_config = tmp_path / "home" / ".ssh" / "config"
        assert remove_block(ssh_config.read_bytes(), ssh_config, DEMO_BLOCK) == b""

        open_menu(tray)["day:end"].trigger()
        qtbot.waitUntil(lambda: len(tray.day_actions.shown) > 1, timeout=30000)
        assert tray.day_actions.shown[1].message.startswith("Today: ")
        qtbot.waitUntil(lambda: not demo.standin.running, timeout=30000)
    finally:
        tray.shutdown()
    assert _children_of_this_run((str(tmp_path / "demo" / "projects"),)) == []
    assert ssh_config.read_bytes() == b""  # Quit took the demo's block out again


def _bin_without_openssh(bin_dir: Path) -> Callable[[str], str | None]:
    """Links to git and mv (the fake IDE moves its record) into `bin_dir`, to be the whole
    PATH: no sshd, ssh or rsync, as on a Windows PC; and the lookup the demo uses for them, PATH
    only (the real one also looks in /usr/sbin, where this machine's sshd is)."""
    for tool in ("git", "mv"):
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)

    def which(name: str) -> str | None:
        return shutil.which(name, path=str(bin_dir))

    return which


def test_the_demo_day_runs_on_a_simulated_vm_where_there_is_no_openssh(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code_args = demo_session(tmp_path, monkeypatch)
    which = _bin_without_openssh(code_args.parent)
    monkeypatch.setenv("PATH", str(code_args.parent))
    world = DemoWorldOnce(which=which)
    tray = build_tray(qtbot, demo=world)
    texts: list[str] = []
    assert tray.day is not None
    tray.day.changed.connect(lambda: texts.append(labels(tray).get("day:primary", "")))
    try:
        open_menu(tray)["day:primary"].trigger()
        qtbot.waitUntil(lambda: tray.day_actions.shown != [], timeout=60000)
        assert tray.day_actions.shown[0].title == "demo-devbox is ready", tray.day_actions.shown
        # Said plainly while the day starts and once it is up: nobody takes it for SSH.
        why = "Demo VM simulated: no OpenSSH server on this computer"
        assert any(text.startswith(f"■ {why} (step 4 of 7)") for text in texts), texts
        assert labels(tray)["day:simulated"] == why
        demo = world.get()
        remote = demo.standin.disk / "hello-app"
        assert tree(remote) == tree(demo.project)
        assert (remote / ".devtray" / "owned").is_file()  # the owned-folder marker
        # The tunnel's local port answers with the stand-in's web app serving the copy.
        local, page = _app_page_through_the_tunnel(demo.project)
        assert b"Hello from the demo VM" in page
        # No SSH host to open remotely: the IDE opens the stand-in's copy as a folder.
        assert _recorded(code_args) == [str(remote)]
        # ... and no host nobody serves lands in the SSH config the user's IDEs read.
        users_ssh_config = tmp_path / "home" / ".ssh" / "config"
        assert not users_ssh_config.exists() or b"DEVTRAY DEMO" not in users_ssh_config.read_bytes()
        vm_id = tray.controller.view.vms[0].id
        (demo.project / "app.py").write_text('print("edited in the simulated demo")\n')
        qtbot.waitUntil(lambda: tree(remote) == tree(demo.project), timeout=20000)
        menu = labels(tray)
        assert menu[f"sync:{vm_id}"].startswith("Sync: "), menu
        assert menu[f"sync:{vm_id}"].endswith(" (simulated)"), menu
        assert menu[f"tunnels:{vm_id}"] == "1 of 1 tunnel up (simulated)"

        open_menu(tray)["day:end"].trigger()
        qtbot.waitUntil(lambda: len(tray.day_actions.shown) > 1, timeout=30000)
        assert tray.day_actions.shown[1].message.startswith("Today: ")
        qtbot.waitUntil(lambda: not demo.standin.running, timeout=30000)
        assert not port_accepts(local)  # the forwarder closed with the day
    finally:
        tray.shutdown()


def test_set_up_your_day_then_add_project_folder_fill_the_projects_menu(
    qtbot: QtBot,
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop.qt.day_setup import DaySetupDialog

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    write_config(config_file, sshd)
    moto_vm("devbox")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    tray = build_tray(qtbot, projects=False)
    try:
        # No project yet: the first row sets up the day.
        menu = labels(tray)
        assert menu["day:setup"] == "Set up your day…"
        open_menu(tray)["day:setup"].trigger()
        dialog = tray.windows["set-up-day"]
        assert isinstance(dialog, DaySetupDialog)
        dialog.folder.setText(str(first))
        assert dialog.remote.text() == "~/first"  # suggested from the folder's name
        dialog.remote.setText("~")
        dialog.save()
        assert "whole home" in dialog.error.text()  # refused: a push would replace the home
        dialog.remote.setText("~/src/first")
        dialog.write_file.setChecked(True)
        dialog.save()
        qtbot.waitUntil(lambda: "day:primary" in labels(tray), timeout=10000)
        assert (first / ".devtray.toml").read_text() == (
            'vm = "devbox"\nremote_path = "~/src/first"\nide = "vscode"\n'
        )
        assert labels(tray)["day:primary"] == "▶ Start my day — first on devbox"

        # Another folder, as the folder chooser would return it: its own Start my day.
        tray.day_actions.add_project(str(second))
        qtbot.waitUntil(lambda: f"project:{second}:start" in labels(tray), timeout=10000)
        assert not (second / ".devtray.toml").exists()  # only written where the user agreed
        assert f'folder = "{second}"' in config_file.read_text()
    finally:
        tray.shutdown()


def test_a_day_handed_over_by_devtray_up_shows_in_the_tray_and_joins_my_projects(
    qtbot: QtBot, day_tray: Callable[..., DayTray], config_file: Path, tmp_path: Path
) -> None:
    from desktop.services.handover import Command, DayRequest

    rig = day_tray(open_ide=False)
    api, api_remote = tmp_path / "api", tmp_path / "vm" / "api"
    api.mkdir()
    (api / ".devtray.toml").write_text(f'remote_path = "{api_remote}"\n')
    (api / "main.py").write_text("print('api')\n")
    serve = rig.tray.services.serve_day
    assert serve is not None
    heard: list[bytes] = []
    # What the tray's socket handler runs for `devtray up api` (on a thread of its own).
    worker = threading.Thread(target=serve, args=(DayRequest(Command.UP, api), heard.append))
    worker.start()
    qtbot.waitUntil(lambda: not worker.is_alive(), timeout=60000)
    assert b'"result": "ready"' in heard[-1]

    qtbot.waitUntil(lambda: rig.menu()["day:primary"] == "Open in VS Code", timeout=10000)
    assert rig.menu()["day:status"].startswith("Ready · devbox")
    qtbot.waitUntil(lambda: f"project:{api}:start" in rig.menu(), timeout=10000)
    assert f'folder = "{api}"' in config_file.read_text()
    assert tree(api_remote) == tree(api)


def test_the_ready_notification_has_an_open_button_that_opens_the_project(
    qtbot: QtBot,
    session_bus: str,  # noqa: F811  (the fixtures, imported above; set up before the tray,
    notification_server: StartServer,  # noqa: F811  so they outlive it)
    day_tray: Callable[..., DayTray],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    record = notification_server("actions,body", press="open")  # the person presses Open
    rig = day_tray(open_ide=False)  # only the button opens the IDE
    rig.click("day:primary")
    assert rig.notice_after(qtbot, 0).title == "devbox is ready"
    # The button's answer and Notify's reply meet on the GUI thread: keep its loop running.
    qtbot.waitUntil(rig.code_args.exists, timeout=30000)
    assert _recorded(rig.code_args)[-1] == (
        f"vscode-remote://ssh-remote+devbox.devtray{rig.remote}"
    )
    shown = json.loads(record.read_text().splitlines()[-1])["args"]
    assert shown[3] == "devtray: devbox is ready"
    assert shown[5] == ["default", "", "open", "Open in VS Code"]


def test_a_burst_of_day_changes_redraws_the_open_menu_once_keeping_its_rows(
    qtbot: QtBot, day_tray: Callable[..., DayTray]
) -> None:
    rig = day_tray(record=False)
    tray = rig.tray
    tray.menu.popup(QPoint(40, 40))  # the person watches the day in the open menu
    qtbot.waitUntil(tray.menu.isVisible)
    renderer = tray.menu_renderer
    assert renderer is not None
    row = {action.objectName(): action for action in tray.menu.actions()}["day:open"]
    renders = renderer.renders
    project = rig.day.panel.projects[0]

    # Three changes in one go, as a step's end, the next step's start and its detail come.
    for ide in ("pycharm", "vscode", "pycharm"):
        rig.day.set_projects([replace(project, ide=ide)])
    qtbot.waitUntil(lambda: renderer.renders > renders, timeout=1000)
    qtbot.wait(100)  # a few frames more: nothing else is drawn

    assert isValid(row) and row in tray.menu.actions()  # the same row, updated in place
    assert row.text().replace("&", "").startswith("Open in PyCharm")  # the latest change
    assert renderer.renders == renders + 1
    tray.menu.hide()
