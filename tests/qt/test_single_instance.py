"""One tray per user: a second launch knocks, the first shows its menu, the second exits."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from desktop.qt import single_instance
from desktop.qt.single_instance import SingleInstance, server_name


def second_launch_is_told_by(qtbot: QtBot) -> None:
    """A first instance claims and listens; a second's claim fails and the first hears it."""
    first = SingleInstance()
    assert first.claim()
    first.listen()
    try:
        second = SingleInstance()
        with qtbot.waitSignal(first.show_requested, timeout=3000):
            assert second.claim() is False
        assert second.other_answered
    finally:
        first.release()


def test_second_instance_asks_the_first_to_show_its_menu(qtbot: QtBot) -> None:
    second_launch_is_told_by(qtbot)
    # Once the first has gone, the claim is free again.
    third = SingleInstance()
    assert third.claim()
    third.release()


def test_a_second_devtray_process_exits_at_once(qtbot: QtBot) -> None:
    first = SingleInstance()
    assert first.claim()
    # The first is still starting (claimed, not listening yet) when the second arrives:
    # the second keeps knocking until the first listens.
    QTimer.singleShot(1500, first.listen)
    try:
        with qtbot.waitSignal(first.show_requested, timeout=20000):
            launch = subprocess.Popen(
                [sys.executable, "-m", "desktop", "--demo"],
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                stdout=subprocess.PIPE,
                text=True,
            )
            # The signal arrives while pytest-qt spins the event loop; the process then exits.
        out, _ = launch.communicate(timeout=20)
    finally:
        first.release()
    assert launch.returncode == 0
    assert "already running; asked it to show its menu" in out


def test_a_first_that_never_answers_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(single_instance, "_KNOCK_FOR_SECONDS", 0.3)
    first = SingleInstance()
    assert first.claim()  # and never listens, like a hung tray
    try:
        second = SingleInstance()
        assert second.claim() is False
        assert second.other_answered is False
    finally:
        first.release()


def test_a_folder_that_cannot_lock_falls_back_to_the_socket(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_lock(path: object) -> None:
        raise OSError(37, "No locks available")

    monkeypatch.setattr(single_instance, "try_lock", cannot_lock)
    second_launch_is_told_by(qtbot)  # the first claims because nobody answers its knock


def test_the_name_is_per_user_and_per_config_folder(monkeypatch, tmp_path) -> None:
    name = server_name()
    monkeypatch.setenv("DEVTRAY_CONFIG_DIR", str(tmp_path / "other"))
    assert server_name() != name
    assert server_name().startswith("devtray-")
