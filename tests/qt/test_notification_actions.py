"""The auto-stop warning as a desktop notification with buttons, on a real D-Bus session bus.

The test starts its own `dbus-daemon --session`; the notification server on it is the boundary
fake `tests/fake_notification_server.py` (no desktop in CI), which presses a button the way a
person would. The button must drive the auto-stop policy exactly as the menu does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.core.autostop_store import AutostopChoices, AutostopStore
from desktop.core.model import VmState
from desktop.qt.cost_autostop import CostAndAutostop
from desktop.qt.desktop_notifications import ActionNotifier
from desktop.qt.tray import TrayAddOns
from tests import xsession
from tests.conftest import require_tool
from tests.qt.conftest import Harness, make_demo
from tests.qt.test_cost_autostop import TZ, VM, FakeClock, FakeSync, build, tick_until
from tests.qt.test_tray import open_menu, wait_for_state

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def session_bus() -> Iterator[str]:
    """The address of a private session bus, stopped after the test."""
    require_tool("dbus-daemon")
    with xsession.session_bus() as address:
        yield address


StartServer = Callable[..., Path]


@pytest.fixture
def notification_server(session_bus: str, tmp_path: Path) -> Iterator[StartServer]:
    """Starts the fake server with some capabilities (and a button it presses)."""
    started: list[subprocess.Popen[str]] = []

    def start(capabilities: str, press: str | None = None) -> Path:
        record = tmp_path / "notify.jsonl"
        argv = [sys.executable, "-m", "tests.fake_notification_server", session_bus]
        argv += [str(record), capabilities] + ([press] if press else [])
        server = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, text=True)
        started.append(server)
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "READY"
        return record

    yield start
    for server in started:
        server.terminate()
        server.wait(timeout=10)


def test_a_server_without_buttons_gets_the_tray_message(
    session_bus: str, notification_server: StartServer
) -> None:
    notification_server("body,body-markup")
    assert ActionNotifier.open("devtray", bus=session_bus) is None


def test_no_notification_server_gets_the_tray_message(session_bus: str) -> None:
    assert ActionNotifier.open("devtray", bus=session_bus) is None


@pytest.mark.parametrize(
    ("button", "expect_snooze"),
    [("autostop-snooze-60", datetime(2026, 11, 2, 19, 45, tzinfo=TZ)), ("autostop-keep", None)],
)
def test_pressing_a_notification_button_drives_the_policy(
    qtbot: QtBot, warned: Warned, tmp_path: Path, button: str, expect_snooze: datetime | None
) -> None:
    harness, record = warned(button)  # the person presses it at 18:45
    store = AutostopStore(tmp_path / "autostop.json")
    # The server pressed the button at once; the choice lands in the store like the menu's.
    qtbot.waitUntil(lambda: store.load(VM) != AutostopChoices(), timeout=5000)

    notify = json.loads(record.read_text().splitlines()[0])
    assert notify["signature"] == "susssasa{sv}i"
    app, replaces, _icon, title, body, actions = notify["args"]
    assert (app, replaces, title) == ("devtray", 0, "devtray (Demo): VM stops soon")
    assert body.startswith("The VM stops at 19:00")
    assert actions == [
        "default",  # a click on the notification itself
        "",
        "autostop-snooze-30",
        "Snooze 30 min",
        "autostop-snooze-60",
        "Snooze 1 h",
        "autostop-snooze-120",
        "Snooze 2 h",
        "autostop-keep",
        "Keep running tonight",
        "autostop-stop",
        "Stop now",
    ]
    choice = store.load(VM)
    if expect_snooze is not None:
        assert choice.snooze_until == expect_snooze
        text = "Auto-stop: stops at 19:45 (in 60 min)"
    else:
        assert choice.keep_running_until == datetime(2026, 11, 3, 7, 0, tzinfo=TZ)
        text = "Auto-stop: keeps running tonight"
    qtbot.waitUntil(lambda: open_menu(harness.tray)[f"autostop:{VM}"].text() == text, timeout=5000)
    # Answered, the warning no longer applies: it is withdrawn from the screen.
    qtbot.waitUntil(lambda: {"close": 1} in records(record), timeout=5000)


def records(record: Path) -> list[dict[str, object]]:
    """What the notification server was asked: Notify calls and CloseNotification ids."""
    return [json.loads(line) for line in record.read_text().splitlines()]


def test_a_notifier_opened_on_a_worker_lives_on_the_gui_thread(
    session_bus: str, notification_server: StartServer, qtbot: QtBot
) -> None:
    # The tray opens it while its feature rows load on a worker (the D-Bus calls wait there).
    notification_server("body,actions", press="autostop-keep")
    opened: list[ActionNotifier | None] = []
    worker = threading.Thread(
        target=lambda: opened.append(ActionNotifier.open("devtray", session_bus))
    )
    worker.start()
    worker.join(timeout=30)
    notifier = opened[0]
    assert notifier is not None
    try:
        app = QApplication.instance()
        assert app is not None and notifier.thread() is app.thread()
        with qtbot.waitSignal(notifier.action_invoked, timeout=5000) as pressed:
            sent = notifier.notify("VM stops soon", "body", [("autostop-keep", "Keep")])
        assert pressed.args == [sent, "autostop-keep"]
    finally:
        notifier.close()


Warned = Callable[[str | None], tuple[Harness, Path]]


@pytest.fixture
def warned(
    session_bus: str,
    notification_server: StartServer,
    qtbot: QtBot,
    make_tray: Callable[..., Harness],
    tmp_path: Path,
) -> Warned:
    """A running demo VM whose auto-stop warning is on screen (as notification 1), with the
    server pressing `press` on it; returns the tray and the server's record."""

    def warn(press: str | None) -> tuple[Harness, Path]:
        record = notification_server("body,actions", press=press)
        notifier = ActionNotifier.open("devtray", bus=session_bus)
        assert notifier is not None
        clock = FakeClock(datetime(2026, 11, 2, 18, 30, tzinfo=TZ))  # a Monday
        harness, watch = build(make_tray, tmp_path, clock, FakeSync(), notifier)
        wait_for_state(qtbot, harness, VmState.RUNNING)
        with qtbot.waitSignal(watch.notified, timeout=5000):
            tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 18, 45, tzinfo=TZ))
        # Notify reached it (a server that presses a button at once may already have had the
        # warning withdrawn: a CloseNotification can follow the Notify by now).
        qtbot.waitUntil(lambda: len(records(record)) >= 1, timeout=5000)
        assert "close" not in records(record)[0]
        return harness, record

    return warn


def test_the_warning_is_withdrawn_once_the_vm_has_stopped(qtbot: QtBot, warned: Warned) -> None:
    harness, record = warned(None)
    assert {"close": 1} not in records(record)
    harness.demo.stop_vm(VM)  # stopped from elsewhere (a terminal, the console)
    harness.controller.refresh_now()
    wait_for_state(qtbot, harness, VmState.STOPPED)
    (watch,) = harness.tray.services.extensions
    assert isinstance(watch, CostAndAutostop)
    with qtbot.waitSignal(watch.decided, timeout=5000):
        watch.tick()
    qtbot.waitUntil(lambda: {"close": 1} in records(record), timeout=5000)


def test_the_warning_is_withdrawn_at_quit(warned: Warned) -> None:
    harness, record = warned(None)
    harness.tray.shutdown()
    assert {"close": 1} in records(record)


def test_a_click_on_the_warning_opens_the_auto_stop_choices(qtbot: QtBot, warned: Warned) -> None:
    harness, _record = warned("default")  # the person clicks the notification itself
    qtbot.waitUntil(harness.tray.menu.isVisible, timeout=5000)
    shown = {action.objectName() for action in harness.tray.menu.actions()}
    assert {f"autostop-snooze-30:{VM}", f"autostop-keep:{VM}", f"autostop-stop:{VM}"} <= shown
    harness.tray.menu.hide()


def test_tray_messages_share_the_notifier_and_an_old_ones_click_opens_its_own_problem(
    session_bus: str,
    notification_server: StartServer,
    qtbot: QtBot,
    make_tray: Callable[..., Harness],
) -> None:
    record = notification_server("body,actions")
    notifier = ActionNotifier.open("devtray", bus=session_bus)
    assert notifier is not None
    try:
        harness = make_tray(make_demo(VmState.STOPPED, faults="start=capacity"))
        wait_for_state(qtbot, harness, VmState.STOPPED)
        tray = harness.tray
        tray.attach_add_ons(TrayAddOns(notifier=notifier))  # as the app does once it loads
        with qtbot.waitSignal(harness.controller.problem_raised, timeout=5000) as first:
            open_menu(tray)[f"start:{VM}"].trigger()
        harness.demo.faults.inject("list", "offline", always=True)
        with qtbot.waitSignal(harness.controller.problem_raised, timeout=5000) as second:
            harness.controller.refresh_now()
        qtbot.waitUntil(lambda: len(records(record)) == 2, timeout=5000)
        titles = [entry["args"][3] for entry in records(record)]  # type: ignore[index]
        assert titles == [f"devtray (Demo): {p.args[0].title}" for p in (first, second)]
        assert all(entry["args"][5] == ["default", ""] for entry in records(record))  # type: ignore[index]

        click_on(session_bus, 1)  # the older notification, still in the desktop's list
        qtbot.waitUntil(lambda: tray._problem_window is not None, timeout=5000)
        window = tray._problem_window
        assert window is not None and window.heading.text() == first.args[0].title
    finally:
        notifier.close()


def click_on(bus: str, notification: int) -> None:
    """The notification server's signal for a click on `notification` (sent to every client)."""
    from jeepney import DBusAddress, new_signal
    from jeepney.io.blocking import open_dbus_connection

    from desktop.qt.desktop_notifications import BUS_NAME, CLICKED, OBJECT_PATH

    with open_dbus_connection(bus=bus) as conn:
        emitter = DBusAddress(OBJECT_PATH, interface=BUS_NAME)
        conn.send(new_signal(emitter, "ActionInvoked", "us", (notification, CLICKED)))
