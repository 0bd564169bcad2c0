"""The tray against the demo cloud, offscreen: menu in each state, actions, dialogs, errors."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from desktop.core.config import config_path, load_config
from desktop.core.model import VmSnapshot, VmState
from desktop.presentation.glance import ProblemKind, TrayView
from desktop.presentation.menu import MenuItem, MenuSlot
from desktop.qt.problem_window import ProblemWindow
from desktop.qt.resize_dialog import ResizeDialog
from desktop.qt.settings_dialog import SettingsDialog
from desktop.qt.signin_window import SignInWindow
from desktop.qt.tray import TrayApp
from desktop.system.logs import log_file
from tests.qt.conftest import Harness, make_demo

VM = "demo-0001"


def open_menu(tray: TrayApp) -> dict[str, QAction]:
    """Rebuild the menu as opening it does; its actions by key (submenus included)."""
    tray.menu.aboutToShow.emit()
    found: dict[str, QAction] = {}

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            if action.objectName():
                found[action.objectName()] = action
            if action.menu() is not None:
                walk(action.menu())

    walk(tray.menu)
    return found


def state_of(harness: Harness) -> VmState | None:
    vm = harness.controller.view.vm(VM)
    return vm.state if vm is not None else None


def wait_for_state(qtbot: QtBot, harness: Harness, state: VmState) -> None:
    qtbot.waitUntil(
        lambda: state_of(harness) is state and VM not in harness.controller.view.busy,
        timeout=5000,
    )


def test_menu_when_stopped_then_start_runs_it(qtbot: QtBot, make_tray) -> None:
    harness: Harness = make_tray()
    wait_for_state(qtbot, harness, VmState.STOPPED)
    menu = open_menu(harness.tray)
    assert menu["title"].text() == "devtray (Demo)"
    assert menu["state:demo-0001"].text() == "State: stopped · demo.large"
    assert menu["start:demo-0001"].isEnabled()
    assert not menu["stop:demo-0001"].isEnabled()
    assert menu["stop:demo-0001"].text() == "S&top — already stopped"  # t: keyboard
    assert "Demo" in harness.tray.icon.toolTip()

    menu["start:demo-0001"].trigger()
    busy = open_menu(harness.tray)
    assert busy["start:demo-0001"].text() == "&Start — already starting"
    assert not busy["resize:demo-0001"].isEnabled()
    qtbot.waitUntil(lambda: state_of(harness) is VmState.RUNNING, timeout=5000)
    running = open_menu(harness.tray)
    assert running["state:demo-0001"].text().startswith("State: running · demo.large · up ")
    assert running["stop:demo-0001"].isEnabled()
    assert running["start:demo-0001"].text() == "&Start — already running"

    running["stop:demo-0001"].trigger()
    wait_for_state(qtbot, harness, VmState.STOPPED)


def test_placeholders_for_later_features_are_visible_and_disabled(qtbot: QtBot, make_tray) -> None:
    harness: Harness = make_tray()
    wait_for_state(qtbot, harness, VmState.STOPPED)
    menu = open_menu(harness.tray)
    for key, label in (
        ("cost:demo-0001:placeholder:0", "Cost — not tracked yet"),
        ("sync:demo-0001:placeholder:0", "Sync — not set up yet"),
        ("tunnels:demo-0001:placeholder:0", "Tunnels — not set up yet"),
        ("open-in:demo-0001:placeholder:0", "Open in VS Code — not available yet"),
        ("open-in:demo-0001:placeholder:1", "Open in PyCharm — not available yet"),
    ):
        assert menu[key].text() == label
        assert not menu[key].isEnabled()


class SyncRow:
    """A contributed row, shaped like the sync feature's: its click runs on a worker."""

    slot = MenuSlot.SYNC

    def __init__(self) -> None:
        self.ran_on: list[str] = []

    def items(self, vm: VmSnapshot, view: TrayView) -> Sequence[MenuItem]:
        return (MenuItem(text="Sync now", key=f"sync:{vm.id}", run=self.sync),)

    def sync(self) -> None:
        self.ran_on.append(threading.current_thread().name)


def test_a_contributed_row_runs_on_a_worker(qtbot: QtBot, make_tray) -> None:
    sync = SyncRow()
    harness: Harness = make_tray(contributions=(sync,))
    wait_for_state(qtbot, harness, VmState.STOPPED)
    menu = open_menu(harness.tray)
    assert "sync:demo-0001:placeholder:0" not in menu
    menu["sync:demo-0001"].trigger()
    qtbot.waitUntil(lambda: bool(sync.ran_on))
    assert sync.ran_on[0].startswith("devtray-cloud")


def test_resize_dialog_lists_sizes_and_resizes_a_running_vm(qtbot: QtBot, make_tray) -> None:
    harness: Harness = make_tray(make_demo(VmState.RUNNING))
    wait_for_state(qtbot, harness, VmState.RUNNING)
    open_menu(harness.tray)["resize:demo-0001"].trigger()
    dialog = harness.tray.windows["resize:demo-0001"]
    assert isinstance(dialog, ResizeDialog)
    assert dialog.windowTitle() == "devtray (Demo) — Resize demo-devbox"
    qtbot.waitUntil(lambda: dialog.sizes.topLevelItemCount() == 5)
    current = dialog.sizes.topLevelItem(2)
    assert current is not None
    assert [current.text(c) for c in range(4)] == [
        "demo.large (current)",
        "4",
        "16 GiB",
        "$0.1664/h",
    ]
    dialog.choose("demo.xlarge")
    qtbot.waitUntil(dialog.resize_button.isEnabled)
    assert dialog.effect.text() == (
        "Stops the VM, changes it to demo.xlarge and starts it again (~0s)."
    )
    dialog.resize_button.click()
    qtbot.waitUntil(
        lambda: (
            harness.controller.view.busy.get(VM) is None
            and harness.controller.view.vms[0].size == "demo.xlarge"
            and state_of(harness) is VmState.RUNNING
        ),
        timeout=5000,
    )


def test_a_user_facing_error_is_notified_with_details(qtbot: QtBot, make_tray) -> None:
    harness: Harness = make_tray(make_demo(faults="start=capacity"))
    wait_for_state(qtbot, harness, VmState.STOPPED)
    with qtbot.waitSignal(harness.controller.problem_raised) as raised:
        open_menu(harness.tray)["start:demo-0001"].trigger()
    problem = raised.args[0]
    assert problem.title == "No capacity"
    harness.tray.show_problem()
    window = harness.tray._problem_window
    assert isinstance(window, ProblemWindow) and window.isVisible()
    assert window.windowTitle() == "devtray (Demo) — No capacity"
    assert "no capacity to start" in window.message.text()
    window.copy_button.click()
    assert "no capacity to start" in QGuiApplication.clipboard().text()
    window.log_button.click()
    assert harness.opened_files == [log_file()]
    wait_for_state(qtbot, harness, VmState.STOPPED)  # nothing changed in the cloud


def test_an_unexpected_error_is_logged_with_its_traceback(
    qtbot: QtBot, make_tray, devtray_log: Path
) -> None:
    harness: Harness = make_tray(make_demo(VmState.RUNNING, faults="stop=bug"))
    wait_for_state(qtbot, harness, VmState.RUNNING)
    with qtbot.waitSignal(harness.controller.problem_raised) as raised:
        open_menu(harness.tray)["stop:demo-0001"].trigger()
    problem = raised.args[0]
    assert problem.title == "Something went wrong"
    assert problem.details and "DemoBug: simulated adapter bug" in problem.details
    assert "Traceback" in devtray_log.read_text()


def test_expired_sign_in_opens_the_welcome_window_and_the_demo_is_one_click(
    qtbot: QtBot, make_tray
) -> None:
    broken = make_demo(faults="list=auth*")
    harness: Harness = make_tray(broken, providers=lambda: [broken], demo_mode=False)
    qtbot.waitUntil(lambda: "sign-in" in harness.tray.windows)
    assert harness.controller.view.problem is not None
    assert harness.controller.view.problem.kind is ProblemKind.SIGN_IN
    assert harness.controller.next_interval() is None  # polling paused until sign-in
    menu = open_menu(harness.tray)
    assert menu["sign-in"].text() == "S&ign in… (needed)"
    window = harness.tray.windows["sign-in"]
    assert isinstance(window, SignInWindow)
    assert window.windowTitle() == "devtray — Welcome"
    broken.faults.clear()
    window.findChild(type(window.aws_button), "try-demo").click()
    qtbot.waitUntil(lambda: harness.controller.view.demo and harness.controller.view.loaded)
    assert harness.controller.view.problem is None


def test_settings_are_saved_to_the_config_file(qtbot: QtBot, make_tray) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('# mine\n[ssh]\nuser = "dev"\n')
    harness: Harness = make_tray()
    open_menu(harness.tray)["settings"].trigger()
    dialog = harness.tray.windows["settings"]
    assert isinstance(dialog, SettingsDialog)
    dialog.profile.setText("work")
    dialog.fast.setValue(3)
    dialog.slow.setValue(2)
    dialog.accept()
    assert "must not be slower" in dialog.error.text()  # and the dialog stays open
    dialog.slow.setValue(45)
    dialog.start_at_login.setChecked(True)
    dialog.accept()
    text = path.read_text()
    assert text.startswith("# mine\n") and 'user = "dev"' in text
    config = load_config(path)
    assert config.aws is not None and config.aws.profile == "work"
    assert config.polling.slow_seconds == 45
    assert (Path.home() / ".config/autostart/devtray.desktop").exists()


def test_show_log_opens_the_log_file(qtbot: QtBot, make_tray) -> None:
    harness: Harness = make_tray()
    open_menu(harness.tray)["show-log"].trigger()
    assert harness.opened_files == [log_file()]


def test_several_vms_get_submenus(qtbot: QtBot, make_tray) -> None:
    from desktop.providers.demo import DemoProvider
    from tests.qt.conftest import FAST

    demo = DemoProvider(
        (("api", "demo.small", VmState.RUNNING), ("gpu", "demo.2xlarge", VmState.STOPPED)),
        timings=FAST,
    )
    harness: Harness = make_tray(demo)
    qtbot.waitUntil(lambda: len(harness.controller.view.vms) == 2)
    menu = open_menu(harness.tray)
    assert menu["vm:demo-0001"].text().startswith("api — running, demo.small")
    assert menu["vm:demo-0002"].text() == "gpu — stopped, demo.2xlarge"
    assert menu["start:demo-0002"].isEnabled()
    assert not menu["start:demo-0001"].isEnabled()


def test_polling_is_fast_while_changing_and_slow_when_stable(qtbot: QtBot, make_tray) -> None:
    harness: Harness = make_tray()
    wait_for_state(qtbot, harness, VmState.STOPPED)
    assert harness.controller.next_interval() == 0.5
    harness.controller.start_vm(VM)
    assert harness.controller.next_interval() == 0.05
    offline = make_demo(faults="list=offline*")
    harness.controller.use_providers(lambda: [offline], demo=True)
    qtbot.waitUntil(lambda: harness.controller.view.offline)
    assert harness.controller.next_interval() == 0.5  # the offline interval


def test_mnemonics_survive_ampersands_in_untrusted_text() -> None:
    from desktop.qt.menu_render import with_mnemonic

    assert with_mnemonic(MenuItem(text="R&D Stop", mnemonic="t")) == "R&&D S&top"
    assert with_mnemonic(MenuItem(text="Quit", mnemonic="Q")) == "&Quit"
    assert with_mnemonic(MenuItem(text="a & b")) == "a && b"
