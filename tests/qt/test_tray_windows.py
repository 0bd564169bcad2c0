"""The tray's windows as a user meets them (issue 16): errors, spending, settings, resize,
sign-in, the log, the icons. Offscreen, built as in test_tray (the demo cloud, real Qt)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.core.logs import setup_logging
from desktop.core.model import VmState
from desktop.qt.problem_window import ProblemWindow
from tests.qt.conftest import Harness, make_demo
from tests.qt.test_tray import VM, open_menu, wait_for_state


@pytest.fixture
def devtray_log() -> Iterator[Path]:
    """The log set up as the tray does it; the handler is removed afterwards (it is global)."""
    logger = logging.getLogger("desktop")
    before = list(logger.handlers)
    path = setup_logging()
    yield path
    for handler in logger.handlers[:]:
        if handler not in before:
            logger.removeHandler(handler)
            handler.close()


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
