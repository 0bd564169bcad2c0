"""Each tray window in German: built as the tray builds it with the shipped German catalogue
installed (and Qt's own, for the standard buttons), its title, labels and buttons are German,
and a German screenshot of it lands in artifacts/screenshots/windows/ for a person to read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QGroupBox,
    QLabel,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.qt.language import Language
from desktop.qt.problem_window import ProblemWindow
from desktop.qt.resize_dialog import ResizeDialog
from desktop.qt.spending_window import SpendingWindow
from tests.qt.test_window_screenshots import WINDOWS, shoot


@pytest.fixture
def german() -> Iterator[Language]:
    """The German catalogue installed, as a tray started under LANG=de_DE.UTF-8 installs it."""
    app = QApplication.instance()
    assert app is not None
    language = Language(app, {"LANG": "de_DE.UTF-8"})
    assert language.loaded and language.qt_loaded
    yield language
    language.uninstall()


def _buttons(window: QWidget) -> set[str]:
    return {button.text() for button in window.findChildren(QAbstractButton)}


def _labels(window: QWidget) -> str:
    return "\n".join(label.text() for label in window.findChildren(QLabel))


def _sign_in(window: QWidget) -> None:
    assert window.windowTitle() == "devtray — Willkommen"
    assert {"Bei &AWS anmelden", "Demo &ausprobieren", "Diese Rolle &verwenden"} <= _buttons(window)
    assert "AWS (IAM Identity Center)" in {box.title() for box in window.findChildren(QGroupBox)}
    assert "Melden Sie sich bei Ihrer Cloud an" in _labels(window)
    assert {"&Profil", "&Start-URL", "R&egion", "Rolle"} <= set(_labels(window).splitlines())


def _spending(window: QWidget) -> None:
    assert isinstance(window, SpendingWindow)
    assert window.windowTitle() == "devtray — Ausgaben: devbox"
    summary = window.summary.text()
    assert "\nDieser Monat: " in summary and "(Schätzung" in summary, summary
    assert "\nLetzte 30 Tage: " in summary, summary
    assert "Schätzung" in window.legend.text()
    assert window.close_button.text() == "Schließen"


def _resize(window: QWidget) -> None:
    assert isinstance(window, ResizeDialog)
    assert window.windowTitle() == "devtray (Demo) — Größe von demo-devbox ändern"
    assert "<b>demo-devbox</b>: Zustand läuft, Größe demo.large." in _labels(window)
    assert {"&Größe ändern", "Abbrechen"} <= _buttons(window)
    assert "Neuer Preis: " in window.price.text()


def _settings(window: QWidget) -> None:
    assert isinstance(window, QDialog)
    assert window.windowTitle() == "devtray — Einstellungen"
    assert {"Speichern", "Abbrechen", "Auswählen…"} <= _buttons(window)
    assert "AWS-&Profil" in _labels(window)


def _problem(window: QWidget) -> None:
    assert isinstance(window, ProblemWindow)
    assert {"Details &kopieren", "&Protokoll öffnen", "Schließen"} <= _buttons(window)
    # An unexpected error: the window's own words are German, the error's own stay as raised.
    assert window.windowTitle() == f"devtray — {UNEXPECTED_TITLE}"
    assert window.heading.text() == UNEXPECTED_TITLE
    assert window.message.text().startswith("Ein unerwarteter Fehler ist aufgetreten: ")
    assert "simulated adapter bug" in window.message.text()
    assert window.details_label.text() == "Technische Details (auch im Protokoll):"


UNEXPECTED_TITLE = "Etwas ist schiefgegangen"

CHECKS: dict[str, Callable[[QWidget], None]] = {
    "sign-in": _sign_in,
    "spending": _spending,
    "resize": _resize,
    "settings": _settings,
    "error-unexpected": _problem,
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_each_window_speaks_german(
    qtbot: QtBot, isolated_home: Path, german: Language, name: str
) -> None:
    window = WINDOWS[name](qtbot)
    CHECKS[name](window)
    for path in shoot(window, f"{name}-de", "light"):
        assert path.stat().st_size > 2000
