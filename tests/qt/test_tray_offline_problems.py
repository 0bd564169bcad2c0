"""Trouble keeps the last good state: offline VMs stay greyed "as of", "Retry now" looks at once,
local rows keep working, and every unresolved problem stays under "Problems" (each message's
click opens what that message was about). Offline is moto on 127.0.0.1 stopped mid-test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from desktop.app import configured_providers
from desktop.core.config import load_config
from desktop.core.model import VmState
from desktop.core.polling import PollSchedule
from desktop.presentation.glance import IconState
from desktop.presentation.rows import OpenInMenu
from desktop.remote.supervisor import Supervisor
from desktop.services.config import ConfigSource
from desktop.services.connect import ConnectService
from tests.moto_server import run_instance
from tests.qt.conftest import Harness, make_demo
from tests.qt.test_tray import VM, open_menu, wait_for_state
from tests.xsession import SCREENSHOTS

# Offline, the next look is 20 s away: only "Retry now" can make it sooner within a test.
SLOW_RETRY = PollSchedule(fast=0.05, slow=0.5, offline=20)


class PrivateMoto:
    """A moto server of this test alone, stopped (the cloud unreachable) and started again on
    the same loopback port."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        self.port = self.server.get_host_and_port()[1]

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()


@pytest.fixture
def private_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateMoto]:
    moto = PrivateMoto()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{moto.port}")
    yield moto
    moto.stop()


def shoot(qtbot: QtBot, menu: QMenu, name: str) -> None:
    """The menu as shown, for the artifacts (offscreen: no tray host needed for a menu)."""
    menu.popup(QPoint(0, 0))
    qtbot.waitExposed(menu)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert menu.grab().save(str(SCREENSHOTS / name))
    menu.hide()


def test_offline_keeps_the_vm_greyed_as_of_then_retry_now_looks_at_once(
    qtbot: QtBot,
    make_tray,
    private_moto: PrivateMoto,
    config_file: Path,
    tmp_path: Path,
) -> None:
    config_file.write_text('[aws]\nregion = "eu-west-1"\n[polling]\nfast_seconds = 0.05\n')
    vm_id = run_instance("devbox", instance_type="t3.micro")
    service = ConnectService(ConfigSource(load_config()), Supervisor(tmp_path / "children"))
    harness: Harness = make_tray(
        providers=configured_providers,
        demo_mode=False,
        schedule=SLOW_RETRY,
        contributions=(OpenInMenu(service),),
        on_quit=(service.close,),
    )
    qtbot.waitUntil(lambda: bool(harness.controller.view.vms), timeout=15000)
    assert harness.controller.view.vms[0].state is VmState.RUNNING
    open_menu(harness.tray)
    online = [action.objectName() for action in harness.tray.menu.actions()]

    private_moto.stop()  # the cloud is out of reach
    harness.controller.refresh_now()
    qtbot.waitUntil(lambda: harness.controller.view.offline, timeout=30000)

    menu = open_menu(harness.tray)
    name = menu[f"name:{vm_id}"].text()
    assert re.fullmatch(r"devbox · as of \d\d:\d\d — offline, retrying in (1\d|20) s", name), name
    assert not menu[f"name:{vm_id}"].isEnabled()
    assert not menu[f"state:{vm_id}"].isEnabled()
    assert menu[f"state:{vm_id}"].text().startswith("State: running · t3.micro")
    assert menu[f"stop:{vm_id}"].text() == "S&top — offline"
    assert menu[f"open-vscode:{vm_id}"].isEnabled()  # local: it does not need the cloud
    assert menu["settings"].isEnabled()
    problems = [a.objectName() for a in menu["problems"].menu().actions()]
    assert len(problems) == 1 and problems[0].startswith("problem:")
    # Every row above the app rows is where it was online: no click lands on another row.
    offline = [action.objectName() for action in harness.tray.menu.actions()]
    assert offline[: online.index("sign-in")] == online[: online.index("sign-in")]
    assert (
        harness.tray.icon.icon().cacheKey() == harness.tray.icons.icon(IconState.OFFLINE).cacheKey()
    )
    shoot(qtbot, harness.tray.menu, "menu-offline.png")  # showing it rebuilds its rows
    shoot(qtbot, open_menu(harness.tray)["problems"].menu(), "menu-problems.png")
    menu = open_menu(harness.tray)

    private_moto.restart()  # back online, but the next look is 20 s away
    run_instance("devbox", instance_type="t3.micro")
    menu["retry"].trigger()
    qtbot.waitUntil(lambda: harness.controller.view.problem is None, timeout=10000)
    menu = open_menu(harness.tray)
    assert "retry" not in menu and "problems" not in menu  # resolved: gone from the menu
    assert not any(key.startswith("problem:") for key in menu)


def test_each_message_opens_its_own_problem_and_problems_lists_them(
    qtbot: QtBot, make_tray
) -> None:
    harness: Harness = make_tray(make_demo(VmState.STOPPED, faults="start=capacity"))
    wait_for_state(qtbot, harness, VmState.STOPPED)
    with qtbot.waitSignal(harness.controller.problem_raised, timeout=5000) as raised:
        open_menu(harness.tray)[f"start:{VM}"].trigger()
    capacity = raised.args[0]
    tray = harness.tray
    tray.icon.messageClicked.emit()  # a click on the capacity balloon
    window = tray._problem_window
    assert window is not None and window.heading.text() == capacity.title
    window.close()

    # A later, unrelated message: its click must not bring back the old error.
    tray.on_cli_message({"cmd": "connect.starting", "vm": "demo-devbox", "app": "ssh"})
    tray.icon.messageClicked.emit()
    assert not window.isVisible()

    harness.demo.faults.inject("list", "offline", always=True)
    with qtbot.waitSignal(harness.controller.problem_raised, timeout=5000) as raised:
        harness.controller.refresh_now()
    offline = raised.args[0]
    menu = open_menu(tray)
    rows = [a for a in menu["problems"].menu().actions()]
    assert [a.text().rsplit(" (", 1)[0] for a in rows] == [offline.title, capacity.title]
    rows[1].trigger()  # the older one, picked from the menu
    assert window.isVisible() and window.heading.text() == capacity.title

    harness.demo.faults.clear()  # the cloud answers again: offline is resolved
    qtbot.waitUntil(lambda: harness.controller.view.problem is None, timeout=5000)
    rows = open_menu(tray)["problems"].menu().actions()
    assert [a.text().rsplit(" (", 1)[0] for a in rows] == [capacity.title]
