"""One PNG per tray window, light and dark, at 1x and 2x (artifacts/screenshots/windows/).

Each window is filled as the tray fills it and rendered offscreen; the 2x pictures are drawn
at a device pixel ratio of 2, as on a HiDPI screen. The checks say the picture is the window
(its size, not blank); a person looks at the PNGs (the README's Spending picture is one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTreeWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.core.config import config_path
from desktop.core.model import VmState
from desktop.presentation.glance import Problem, ProblemKind
from desktop.qt.bridge import CloudBridge
from desktop.qt.controller import TrayController, problem_for
from desktop.qt.day_setup import DaySetupDialog
from desktop.qt.log_window import LogWindow
from desktop.qt.problem_window import ProblemWindow
from desktop.qt.resize_dialog import ResizeDialog
from desktop.qt.settings_dialog import SettingsDialog
from desktop.qt.signin_window import SignInWindow
from desktop.qt.spending_window import SpendingWindow
from desktop.system.autostart import Autostart
from tests.qt.conftest import FAST_POLLING, make_demo
from tests.qt.test_tray_windows import _spend
from tests.xsession import SCREENSHOTS

OUT = SCREENSHOTS / "windows"


def dark_palette() -> QPalette:
    """A dark theme's palette (as a dark desktop hands Qt)."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: QColor(45, 45, 48),
        QPalette.ColorRole.WindowText: QColor(230, 230, 230),
        QPalette.ColorRole.Base: QColor(30, 30, 32),
        QPalette.ColorRole.AlternateBase: QColor(60, 60, 64),
        QPalette.ColorRole.Text: QColor(230, 230, 230),
        QPalette.ColorRole.Button: QColor(58, 58, 62),
        QPalette.ColorRole.ButtonText: QColor(230, 230, 230),
        QPalette.ColorRole.Highlight: QColor(90, 150, 230),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.ToolTipBase: QColor(60, 60, 64),
        QPalette.ColorRole.ToolTipText: QColor(230, 230, 230),
        QPalette.ColorRole.PlaceholderText: QColor(150, 150, 150),
        QPalette.ColorRole.Link: QColor(120, 170, 255),
    }
    for role, color in roles.items():
        palette.setColor(role, color)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(120, 120, 120))
    palette.setColor(
        QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(120, 120, 120)
    )
    palette.setColor(
        QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(120, 120, 120)
    )
    return palette


@pytest.fixture(params=["light", "dark"])
def theme(request: pytest.FixtureRequest) -> Iterator[str]:
    """The application palette for one theme, restored afterwards."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    app.setStyle("Fusion")
    if request.param == "dark":
        app.setPalette(dark_palette())
    else:
        app.setPalette(app.style().standardPalette())
    yield str(request.param)
    app.setPalette(before)


def shoot(window: QWidget, name: str, theme: str) -> list[Path]:
    """Save `window` at 1x and 2x; returns the files."""
    OUT.mkdir(parents=True, exist_ok=True)
    saved = []
    for scale in (1, 2):
        image = QImage(window.size() * scale, QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(scale)
        image.fill(window.palette().color(QPalette.ColorRole.Window))
        painter = QPainter(image)
        window.render(painter, QPoint())
        painter.end()
        path = OUT / f"{name}-{theme}@{scale}x.png"
        assert image.save(str(path))
        assert image.width() == window.width() * scale
        saved.append(path)
    return saved


def _shown(qtbot: QtBot, window: QWidget) -> QWidget:
    qtbot.addWidget(window)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    window.show()
    qtbot.waitExposed(window)
    return window


WINDOWS: dict[str, Callable[[QtBot], QWidget]] = {}


def window_builder(name: str) -> Callable[[Callable[[QtBot], QWidget]], Callable[[QtBot], QWidget]]:
    def register(build: Callable[[QtBot], QWidget]) -> Callable[[QtBot], QWidget]:
        WINDOWS[name] = build
        return build

    return register


@window_builder("spending")
def _spending(qtbot: QtBot) -> QWidget:
    window = SpendingWindow("devtray", "devbox")
    window.show_spend(*_spend())
    return _shown(qtbot, window)


@window_builder("error")
def _error(qtbot: QtBot) -> QWidget:
    window = ProblemWindow("devtray", lambda: None)
    window.show_problem(
        Problem(
            ProblemKind.ERROR,
            "No capacity",
            "AWS has no capacity for t3.large in eu-west-1a right now to start devbox.",
            "Try again in a few minutes, or resize devbox to another size.",
        )
    )
    return _shown(qtbot, window)


@window_builder("error-unexpected")
def _unexpected(qtbot: QtBot) -> QWidget:
    try:
        raise RuntimeError("simulated adapter bug while trying to stop devbox")
    except RuntimeError as error:
        problem = problem_for(error)
    window = ProblemWindow("devtray", lambda: None)
    window.show_problem(problem)
    return _shown(qtbot, window)


@window_builder("resize")
def _resize(qtbot: QtBot) -> QWidget:
    demo = make_demo(VmState.RUNNING)
    controller = TrayController(CloudBridge(), lambda: [demo], FAST_POLLING, demo=True)
    controller.start()
    qtbot.waitUntil(lambda: bool(controller.view.vms))
    dialog = ResizeDialog(controller, controller.view.vms[0], "devtray (Demo)")
    qtbot.waitUntil(lambda: dialog.sizes.topLevelItemCount() == 5)
    dialog.choose("demo.medium")
    qtbot.waitUntil(dialog.resize_button.isEnabled)
    controller.shutdown()  # the dialog has what it needs; no more cloud calls
    return _shown(qtbot, dialog)


@window_builder("settings")
def _settings(qtbot: QtBot) -> QWidget:
    dialog = SettingsDialog(
        config_path(), Autostart(["devtray"], platform="linux"), "devtray", lambda: None
    )
    dialog.profile.setText("work")
    dialog.region.setText("eu-west-1")
    dialog.project.setText("~/src/app")
    dialog.ports.setText("8000, 5432:db.internal:5432")
    return _shown(qtbot, dialog)


@window_builder("sign-in")
def _sign_in(qtbot: QtBot) -> QWidget:
    window = SignInWindow(
        CloudBridge(),
        config_path(),
        None,
        "devtray",
        on_signed_in=lambda: None,
        on_try_demo=lambda: None,
        open_url=lambda _url: None,
        first_run=True,
    )
    return _shown(qtbot, window)


@window_builder("set-up-day")
def _set_up_day(qtbot: QtBot) -> QWidget:
    dialog = DaySetupDialog(
        CloudBridge(), config_path(), ["devbox", "gpubox"], "devtray", on_saved=lambda: None
    )
    dialog.folder.setText("/home/me/src/app")  # suggests ~/app on the VM
    return _shown(qtbot, dialog)


@window_builder("log")
def _log(qtbot: QtBot) -> QWidget:
    path = config_path().parent / "devtray.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "2026-11-20 09:12:03 INFO desktop.qt.controller: devbox (i-0abc) is stopped, t3.large\n"
        "2026-11-20 09:14:41 WARNING desktop.qt.controller: No capacity: AWS has no capacity "
        "for t3.large in eu-west-1a right now to start devbox.\n"
    )
    return _shown(qtbot, LogWindow("devtray", path))


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_screenshot_of_each_window(
    qtbot: QtBot, isolated_home: Path, theme: str, name: str
) -> None:
    window = WINDOWS[name](qtbot)
    for path in shoot(window, name, theme):
        assert path.stat().st_size > 2000  # a real picture, not an empty canvas


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_every_field_has_an_accessible_name(qtbot: QtBot, isolated_home: Path, name: str) -> None:
    window = WINDOWS[name](qtbot)
    fields = [
        widget
        for kind in (QLineEdit, QComboBox, QAbstractSpinBox, QTreeWidget, QPlainTextEdit)
        for widget in window.findChildren(kind)
        if widget.isVisibleTo(window) and not isinstance(widget.parent(), QAbstractSpinBox)
    ]
    unnamed = [field.objectName() for field in fields if not field.accessibleName()]
    assert unnamed == [], f"{name}: fields a screen reader cannot name: {unnamed}"
