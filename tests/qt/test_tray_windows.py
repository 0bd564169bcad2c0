"""The tray's windows as a user meets them (issue 16): errors, spending, settings, resize,
sign-in, the log, the icons. Offscreen, built as in test_tray (the demo cloud, real Qt)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QToolTip, QWidget
from pytestqt.qtbot import QtBot

from desktop.app import configured_providers
from desktop.core.config import AutostopConfig, PollingConfig, config_path, load_config
from desktop.core.cost import PeriodCost
from desktop.core.model import VmState
from desktop.core.spend import SpendSummary
from desktop.core.spend_record import SpendRecord
from desktop.core.spend_tracker import SpendTracker
from desktop.presentation.rows import OpenInMenu, SyncMenu, TunnelsMenu
from desktop.providers.demo import DemoProvider, DemoTimings
from desktop.qt.cost_autostop import CostAndAutostop
from desktop.qt.log_window import LogWindow
from desktop.qt.problem_window import ProblemWindow
from desktop.qt.resize_dialog import ResizeDialog
from desktop.qt.settings_dialog import SettingsDialog
from desktop.qt.signin_window import SignInWindow
from desktop.qt.spending_window import ESTIMATE_COLOR, SpendingWindow
from desktop.remote.supervisor import Supervisor
from desktop.services.config import ConfigSource
from desktop.services.connect import ConnectService
from desktop.services.sync import SyncService
from desktop.system.logs import log_file
from tests.conftest import require_tool
from tests.integration.connect_helpers import moto_vm, write_config
from tests.moto_server import MotoEndpoint
from tests.qt.conftest import Harness, make_demo
from tests.qt.test_cost_autostop import TZ, FakeClock
from tests.qt.test_tray import VM, open_menu, wait_for_state
from tests.sshd import SshServer


def _problem_window(qtbot: QtBot, harness: Harness, action: str) -> ProblemWindow:
    with qtbot.waitSignal(harness.controller.problem_raised):
        open_menu(harness.tray)[action].trigger()
    harness.tray.show_problem()
    window = harness.tray._problem_window
    assert isinstance(window, ProblemWindow) and window.isVisible()
    return window


def _press(qtbot: QtBot, window: QWidget, key: Qt.Key) -> None:
    window.activateWindow()
    qtbot.keyClick(window, key)


# -- 1: errors -----------------------------------------------------------------------------


def test_an_ordinary_error_shows_words_and_the_vm_name_no_traceback_and_is_logged(
    qtbot: QtBot, make_tray, devtray_log: Path
) -> None:
    harness: Harness = make_tray(make_demo(faults="start=capacity"))
    wait_for_state(qtbot, harness, VmState.STOPPED)
    window = _problem_window(qtbot, harness, f"start:{VM}")
    assert window.heading.text() == "No capacity"
    assert window.message.text() == "The demo cloud has no capacity to start demo-devbox right now."
    assert window.hint.text() == "Try again in a minute, or pick another size."
    assert not window.details.isVisible()
    window.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert "demo-devbox" in copied and "Try again" in copied
    assert "Traceback" not in copied and "^^^" not in copied and VM not in copied
    log = devtray_log.read_text()
    assert "No capacity: The demo cloud has no capacity to start demo-devbox" in log
    assert "Traceback" not in log  # typed errors: words only at the default level


def test_an_unexpected_error_shows_its_traceback_under_the_words(
    qtbot: QtBot, make_tray, devtray_log: Path
) -> None:
    harness: Harness = make_tray(make_demo(VmState.RUNNING, faults="stop=bug"))
    wait_for_state(qtbot, harness, VmState.RUNNING)
    window = _problem_window(qtbot, harness, f"stop:{VM}")
    assert window.heading.text() == "Something went wrong"
    assert window.details.isVisible()
    assert "DemoBug: simulated adapter bug" in window.details.toPlainText()
    assert "Traceback" in devtray_log.read_text()


# -- 10: keys ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [Qt.Key.Key_Escape, Qt.Key.Key_Return])
def test_esc_and_return_close_the_error_window(qtbot: QtBot, make_tray, key: Qt.Key) -> None:
    harness: Harness = make_tray(make_demo(faults="start=capacity"))
    wait_for_state(qtbot, harness, VmState.STOPPED)
    window = _problem_window(qtbot, harness, f"start:{VM}")
    _press(qtbot, window, key)
    assert not window.isVisible()


# -- 4: spending ---------------------------------------------------------------------------

TODAY = date(2026, 11, 20)


def _spend(billed_through: int = 0) -> tuple[SpendSummary, list[tuple[date, PeriodCost]]]:
    """30 days: weekdays at $4.10 (today half done, partly unrecorded), weekends $0."""
    days = []
    for back in range(29, -1, -1):
        day = TODAY - timedelta(days=back)
        amount = 0.0 if day.weekday() >= 5 else 4.10
        cost = PeriodCost(amount / 2, unrecorded_hours=2) if back == 0 else PeriodCost(amount)
        days.append((day, cost))
    summary = SpendSummary(
        vm_id=VM,
        state=VmState.RUNNING,
        hourly_now=0.1747,
        today=days[-1][1],
        month=PeriodCost(sum(c.amount for d, c in days if d.month == 11)),
        stopped_daily=0.19,
        recording_began_today=datetime(2026, 11, 20, 9, 12, tzinfo=TZ),
    )
    return summary, days


def _spending_window(qtbot: QtBot) -> SpendingWindow:
    window = SpendingWindow("devtray", "devbox")
    qtbot.addWidget(window)
    window.show_spend(*_spend())
    window.show()
    qtbot.waitExposed(window)
    return window


def test_spending_chart_has_a_dollar_axis_and_empty_days_draw_no_bar(qtbot: QtBot) -> None:
    window = _spending_window(qtbot)
    chart = window.chart
    assert [text for _value, text in chart.axis_labels()] == ["$0", "$2", "$4", "$6"]
    image = chart.grab().toImage()
    area = chart.plot_area()
    weekend = next(i for i, (day, _cost) in enumerate(chart.days) if day.weekday() == 5)
    weekday = weekend - 1
    low_y = int(area.bottom() - 3)
    assert image.pixelColor(int(chart.bar_rect(weekday).center().x()), low_y) == ESTIMATE_COLOR
    weekend_pixel = image.pixelColor(int(chart.bar_rect(weekend).center().x()), low_y)
    assert weekend_pixel != ESTIMATE_COLOR
    # The weekday bar reaches 4.10 of the axis' 6: its top is two thirds of the way up.
    column = int(chart.bar_rect(weekday).center().x())
    top = area.bottom() - area.height() * 4.10 / 6
    assert image.pixelColor(column, int(top + 3)) == ESTIMATE_COLOR
    assert image.pixelColor(column, int(top - 3)) != ESTIMATE_COLOR


def test_spending_chart_date_labels_never_overlap_and_today_is_labelled(qtbot: QtBot) -> None:
    window = _spending_window(qtbot)
    chart = window.chart
    for width in (420, 640, 1200):
        window.resize(width, 440)
        qtbot.waitUntil(lambda w=width: window.width() == w)
        indexes = chart.date_label_indexes()
        assert indexes[-1] == len(chart.days) - 1  # today
        slot = chart.bar_rect(0).width()
        widest = max(
            chart.fontMetrics().horizontalAdvance(f"{d.day} {d:%b}") for d, _ in chart.days
        )
        gaps = [b - a for a, b in itertools.pairwise(indexes)]
        assert all(gap * slot >= widest for gap in gaps)
    small, large = 420, 1200
    window.resize(small, 440)
    qtbot.waitUntil(lambda: window.width() == small)
    narrow = chart.width()
    window.resize(large, 600)
    qtbot.waitUntil(lambda: window.width() == large)
    assert chart.width() > narrow + 600 and chart.height() > 200  # the chart follows the window


def test_spending_chart_shows_a_days_value_on_hover_and_a_legend(qtbot: QtBot) -> None:
    window = _spending_window(qtbot)
    chart = window.chart
    center = chart.bar_rect(len(chart.days) - 2).center().toPoint()
    qtbot.mouseMove(chart, center)
    qtbot.waitUntil(lambda: chart.hovered == len(chart.days) - 2)
    assert QToolTip.text() == chart.bar_text(len(chart.days) - 2)
    assert "$4.10 (estimate)" in QToolTip.text()
    today = chart.bar_text(len(chart.days) - 1)
    assert today.startswith("Today, ") and "$2.05" in today and "not recorded" in today
    legend = window.legend.text()
    assert "Estimate" in legend and "Today" in legend and "not recorded" in legend
    assert "Billed" not in legend  # no bill here: no entry for it
    assert "While stopped it still costs $0.19/day" in window.summary.text()


def test_spending_window_closes_with_the_standard_keys_and_a_button(qtbot: QtBot) -> None:
    for close in (
        lambda w: qtbot.keyClick(w, Qt.Key.Key_Escape),
        lambda w: qtbot.keyClick(w, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
        lambda w: w.close_button.click(),
    ):
        window = SpendingWindow("devtray", "devbox")
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        qtbot.addWidget(window)
        window.show()
        assert window.size().width() == 640
        close(window)
        assert not window.isVisible()


# -- 6: resize -----------------------------------------------------------------------------


def _resize_dialog(qtbot: QtBot, harness: Harness) -> ResizeDialog:
    open_menu(harness.tray)[f"resize:{VM}"].trigger()
    dialog = harness.tray.windows[f"resize:{VM}"]
    assert isinstance(dialog, ResizeDialog)
    qtbot.waitUntil(lambda: dialog.sizes.topLevelItemCount() == 5)
    return dialog


def test_resize_preselects_the_current_size_and_shows_price_then_change(
    qtbot: QtBot, make_tray
) -> None:
    harness: Harness = make_tray(make_demo(VmState.RUNNING))
    wait_for_state(qtbot, harness, VmState.RUNNING)
    dialog = _resize_dialog(qtbot, harness)
    current = dialog.sizes.currentItem()
    assert current is not None and current.text(0) == "demo.large (current)"
    assert not dialog.resize_button.isEnabled()
    assert dialog.effect.text() == "This is demo-devbox's size now; choose another one."
    assert "compute price per hour" in dialog.basis.text()
    assert "disk and the public IP address" in dialog.basis.text()
    dialog.choose("demo.medium")
    qtbot.waitUntil(dialog.resize_button.isEnabled)
    assert dialog.price.text() == "New price: $0.0832/h (\N{MINUS SIGN}$0.08/h)"
    assert dialog.warning.isVisibleTo(dialog)
    assert "SSH sessions, tunnels and jobs running on it will be cut off" in dialog.warning.text()


def test_resizing_a_stopped_vm_warns_of_nothing(qtbot: QtBot, make_tray) -> None:
    harness: Harness = make_tray(make_demo(VmState.STOPPED))
    wait_for_state(qtbot, harness, VmState.STOPPED)
    dialog = _resize_dialog(qtbot, harness)
    dialog.choose("demo.xlarge")
    qtbot.waitUntil(dialog.resize_button.isEnabled)
    assert dialog.price.text() == "New price: $0.3328/h (+$0.17/h)"
    assert not dialog.warning.isVisibleTo(dialog)


# -- 5: settings ---------------------------------------------------------------------------


def _settings(qtbot: QtBot, harness: Harness) -> SettingsDialog:
    open_menu(harness.tray)["settings"].trigger()
    dialog = harness.tray.windows["settings"]
    assert isinstance(dialog, SettingsDialog)
    qtbot.waitExposed(dialog)
    return dialog


def test_ticking_start_at_login_writes_nothing_else(qtbot: QtBot, make_tray) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Values the boxes cannot show as they are (below the minimum, between whole minutes).
    mine = (
        '# mine\n[ssh]\nuser = "dev"\n\n[polling]\nfast_seconds = 0.05\n\n'
        "[autostop]\nwarn_minutes = 7.5\n"
    )
    path.write_text(mine)
    harness: Harness = make_tray()
    dialog = _settings(qtbot, harness)
    dialog.start_at_login.setChecked(True)
    dialog.accept()
    assert not dialog.isVisible()
    assert path.read_text() == mine
    assert (Path.home() / ".config/autostart/devtray.desktop").exists()


def test_settings_has_every_group_aligned_and_saves_auto_stop_and_connection(
    qtbot: QtBot, make_tray
) -> None:
    harness: Harness = make_tray()
    dialog = _settings(qtbot, harness)
    headers = [
        widget.text()
        for widget in dialog.findChildren(QLabel)
        if widget.font().bold() and widget.parent() is dialog
    ]
    assert headers == ["Cloud", "Projects", "Auto-stop", "Connection", "General"]
    fields = [
        dialog.cloud,
        dialog.profile,
        dialog.stop_at,
        dialog.idle,
        dialog.ssh_user,
        dialog.fast,
    ]
    lefts = {field.mapTo(dialog, field.rect().topLeft()).x() for field in fields}
    assert len(lefts) == 1, lefts  # one column, whatever the widget
    assert dialog.ssh_key.accessibleName() == "SSH key"
    dialog.project.setText("~/src/app")
    dialog.ports.setText("8000, 5432:db.internal:5432")
    dialog.stop_at.setTime(QTime(18, 30))
    dialog.days["fri"].setChecked(False)
    dialog.idle.setValue(30)
    dialog.ssh_user.setText("dev")
    dialog.ssh_key.setText("~/.ssh/work")
    dialog.accept()
    config = load_config(config_path())
    assert config.connect.project == "~/src/app"
    assert config.tunnels.ports == ("8000", "5432:db.internal:5432")
    assert config.autostop.stop_times == (time(18, 30),) * 4 + (None, None, None)
    assert config.autostop.idle_minutes == 30
    assert (config.ssh.user, config.ssh.identity_file) == ("dev", "~/.ssh/work")
    assert config.aws is None and config.polling == PollingConfig()  # untouched: unwritten


# -- 13: the log ---------------------------------------------------------------------------


def test_show_log_without_a_viewer_opens_the_folder(qtbot: QtBot, make_tray) -> None:
    asked: list[Path] = []

    def folders_only(path: Path) -> bool:
        asked.append(path)
        return path.is_dir()

    harness: Harness = make_tray(open_file=folders_only)
    open_menu(harness.tray)["show-log"].trigger()
    assert asked == [log_file(), log_file().parent]
    assert "log" not in harness.tray.windows


def test_show_log_with_nothing_to_open_it_shows_the_log_in_a_window(
    qtbot: QtBot, make_tray, devtray_log: Path
) -> None:
    harness: Harness = make_tray(make_demo(faults="start=capacity"), open_file=lambda _p: False)
    wait_for_state(qtbot, harness, VmState.STOPPED)
    with qtbot.waitSignal(harness.controller.problem_raised):
        open_menu(harness.tray)[f"start:{VM}"].trigger()
    open_menu(harness.tray)["show-log"].trigger()
    window = harness.tray.windows["log"]
    assert isinstance(window, LogWindow) and window.isVisible()
    assert "No capacity: The demo cloud has no capacity" in window.text.toPlainText()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_sign_in_closes_with_esc_and_return_but_return_in_a_field_is_the_fields(
    qtbot: QtBot, make_tray
) -> None:
    harness: Harness = make_tray()
    open_menu(harness.tray)["sign-in"].trigger()
    window = harness.tray.windows["sign-in"]
    assert isinstance(window, SignInWindow)
    qtbot.waitExposed(window)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()
    open_menu(harness.tray)["sign-in"].trigger()
    window = harness.tray.windows["sign-in"]
    assert isinstance(window, SignInWindow)
    qtbot.waitExposed(window)
    window.activateWindow()
    window.start_url.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.start_url)
    qtbot.keyClick(window.start_url, Qt.Key.Key_Return)
    assert window.isVisible()  # Return in a text field does not throw the typing away
    demo = window.findChild(QPushButton, "try-demo")
    demo.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is demo)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert not window.isVisible()


def _cost_watch(tmp_path: Path, clock: FakeClock) -> CostAndAutostop:
    """The cost and auto-stop rows on a record in `tmp_path`, at `clock`'s time."""
    return CostAndAutostop(
        SpendTracker(SpendRecord(tmp_path / "spend.jsonl"), clock, TZ),
        AutostopConfig(),
        activity=lambda _vm: False,  # boundary fake: nobody is typing on the VM
        clock=clock,
        tz=TZ,
        tick_ms=3_600_000,  # ticks by hand
    )


def test_every_feature_row_has_its_own_accelerator(qtbot: QtBot, make_tray, tmp_path: Path) -> None:
    service = ConnectService(ConfigSource(load_config()), Supervisor(tmp_path / "children"))
    watch = _cost_watch(tmp_path, FakeClock(datetime(2026, 11, 2, 10, 0, tzinfo=TZ)))
    harness: Harness = make_tray(
        make_demo(VmState.RUNNING),
        contributions=(
            watch,
            SyncMenu(SyncService(service)),
            TunnelsMenu(service),
            OpenInMenu(service),
        ),
        extensions=(watch,),
    )
    wait_for_state(qtbot, harness, VmState.RUNNING)
    menu = open_menu(harness.tray)
    assert menu[f"spending:{VM}"].text() == "S&pending…"
    assert menu[f"sync:{VM}:start"].text().startswith("Start s&ync")
    assert menu[f"tunnels:{VM}:start"].text().startswith("Start t&unnels")
    assert menu[f"open-vscode:{VM}"].text().startswith("Open in &VS Code")
    letters = [
        action.text().split("&")[1][0].lower()
        for action in harness.tray.menu.actions()
        if "&" in action.text().replace("&&", "")
    ]
    assert len(letters) == len(set(letters)) >= 10, letters


# -- 7: cost words -------------------------------------------------------------------------


def test_the_cost_row_says_what_today_covers_and_a_starting_vms_own_cost(
    qtbot: QtBot, make_tray, tmp_path: Path
) -> None:
    watch = _cost_watch(tmp_path, FakeClock(datetime(2026, 11, 2, 9, 12, tzinfo=TZ)))
    slow_start = DemoProvider(
        (("demo-devbox", "demo.large", VmState.STOPPED),),
        timings=DemoTimings(start=60, stop=0.1, resize=0.1, call=0.01),
    )
    harness: Harness = make_tray(slow_start, contributions=(watch,), extensions=(watch,))

    def cost_row() -> str:
        row = open_menu(harness.tray).get(f"cost:{VM}")
        return row.text() if row is not None else ""

    qtbot.waitUntil(lambda: cost_row().startswith("Stopped"), timeout=5000)
    assert cost_row() == (
        "Stopped, still costs $0.08/day (disks, IP) · today $0.00 "
        "(estimate since 09:12, when devtray began recording)"
    )
    open_menu(harness.tray)[f"start:{VM}"].trigger()
    qtbot.waitUntil(lambda: cost_row().startswith("Starting"), timeout=5000)
    assert cost_row().startswith("Starting, costs $0.08/day (disks, IP) · today $0.00")


# -- 3: an IDE that is not installed -------------------------------------------------------


def test_open_in_vscode_without_vscode_says_what_is_missing_and_how_to_get_it(
    qtbot: QtBot,
    make_tray,
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_tool("xdg-mime")
    write_config(config_file, sshd)
    monkeypatch.setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")  # no VS Code, Cursor, Insiders
    vm_id = moto_vm("devbox")
    service = ConnectService(ConfigSource(load_config()), Supervisor(tmp_path / "children"))
    harness: Harness = make_tray(
        providers=configured_providers,
        demo_mode=False,
        contributions=(OpenInMenu(service),),
        on_view=(service.on_view,),
        on_quit=(service.close,),
    )
    qtbot.waitUntil(lambda: bool(harness.controller.view.vms), timeout=15000)
    with qtbot.waitSignal(harness.controller.problem_raised, timeout=15000) as raised:
        open_menu(harness.tray)[f"open-vscode:{vm_id}"].trigger()
    harness.tray.show_problem()
    window = harness.tray._problem_window
    assert isinstance(window, ProblemWindow)
    assert raised.args[0].title == window.heading.text() == "IDE not found"
    assert window.message.text().startswith("VS Code was not found: there is no `code` command")
    assert "https://code.visualstudio.com/download" in window.hint.text()
    assert not window.details.isVisible()
    zombies = [c for c in psutil.Process().children() if c.status() == psutil.STATUS_ZOMBIE]
    assert zombies == []


def test_settings_open_on_a_broken_config_and_fix_it(qtbot: QtBot, make_tray) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('# mine\n[autostop]\nstop_at = "25:00"\n')
    harness: Harness = make_tray()
    dialog = _settings(qtbot, harness)
    assert dialog.problem.isVisibleTo(dialog) and dialog.open_config.isVisibleTo(dialog)
    assert "autostop.stop_at must be a time" in dialog.problem.text()
    dialog.open_config.click()
    assert harness.opened_files == [path]
    dialog.stop_at.setTime(QTime(18, 0))
    dialog.accept()
    assert not dialog.isVisible(), dialog.error.text()
    assert path.read_text().startswith("# mine\n")
    assert load_config(path).autostop.stop_times[0] == time(18, 0)
