"""The tray in German: built the way production builds it, started under `LANG=de_DE.UTF-8`, it
installs the shipped catalogue and formats money and times as German does, through the demo's
whole day (its stand-in VM over the loopback sshd, real rsync and tunnels, real Qt offscreen)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from desktop.app import DemoWorldOnce
from desktop.services.day import DayPhase
from tests.integration.sync.test_up import _children_of_this_run
from tests.qt.test_tray import open_menu
from tests.qt.test_tray_day import build_tray, demo_session, labels

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def german(monkeypatch: pytest.MonkeyPatch) -> None:
    """A German desktop session: LANG only, as most Linux desktops set it."""
    for name in ("DEVTRAY_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "de_DE.UTF-8")


def test_the_tray_speaks_german_with_plurals_money_and_times(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, german: None
) -> None:
    demo_session(tmp_path, monkeypatch)
    tray = build_tray(qtbot, demo=DemoWorldOnce())
    try:
        assert tray.language.loaded and tray.language.locale.name() == "de_DE"
        menu = labels(tray)
        assert menu["day:primary"] == "▶ Arbeitstag starten — hello-app auf demo-devbox"
        assert menu["settings"] == "Einstellungen…"
        assert menu["quit"] == "Beenden"
        vm_id = tray.controller.view.vms[0].id
        assert menu[f"start:{vm_id}"] == "Starten"
        assert menu[f"stop:{vm_id}"] == "Stoppen — bereits gestoppt"
        assert menu[f"state:{vm_id}"].startswith("Zustand: gestoppt · ")

        open_menu(tray)["day:primary"].trigger()
        day = tray.day
        assert day is not None
        qtbot.waitUntil(
            lambda: day.panel.progress.phase in (DayPhase.READY, DayPhase.FAILED), timeout=60000
        )
        assert day.panel.progress.phase is DayPhase.READY, day.panel.progress
        # Money as German writes US dollars: the amount, a decimal comma, a no-break space, $.
        qtbot.waitUntil(lambda: "$" in labels(tray)["day:status"], timeout=10000)
        assert labels(tray)["day:status"] == "Bereit · demo-devbox · 0,1747\u00a0$/h"
        qtbot.waitUntil(lambda: "aktiv" in labels(tray).get(f"tunnels:{vm_id}", ""), timeout=20000)
        # The demo forwards one port: the singular ("2 von 2 Tunneln" is the test below).
        assert labels(tray)[f"tunnels:{vm_id}"] == "1 von 1 Tunnel aktiv"
        tunnel = next(
            text
            for key, text in labels(tray).items()
            if key.startswith(f"tunnels:{vm_id}:") and "->" in text
        )
        assert tunnel.endswith(": aktiv"), tunnel
        menu = labels(tray)
        assert menu[f"state:{vm_id}"].startswith("Zustand: läuft · ")
        # The cost row: German money, and the time devtray began recording in German form.
        cost = menu[f"cost:{vm_id}"]
        assert re.fullmatch(
            r"0,1747\u00a0\$/h · heute 0,\d\d\u00a0\$ "
            r"\(Schätzung seit \d{2}:\d{2}, als devtray mit der Aufzeichnung begann\)",
            cost,
        ), cost
        sync = menu[f"sync:{vm_id}"]
        assert re.match(r"Synchronisierung: (beobachtet|\d+ Dateien? werden? synchronisiert)", sync)

        tray.menu.popup(QPoint(0, 0))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert tray.menu.grab().save(str(SCREENSHOTS / "tray-menu-de.png"))
        tray.menu.hide()

        open_menu(tray)[f"tunnels:{vm_id}:stop"].trigger()
        qtbot.waitUntil(
            lambda: labels(tray).get(f"tunnels:{vm_id}:start") == "Tunnel öffnen", timeout=20000
        )
        open_menu(tray)["day:end"].trigger()
        qtbot.waitUntil(lambda: len(tray.day_actions.shown) > 1, timeout=30000)
        ended = tray.day_actions.shown[1]
        assert re.fullmatch(r"Heute: \d+ Min\., 0,\d\d\u00a0\$", ended.message), ended.message
    finally:
        tray.shutdown()
    assert _children_of_this_run((str(tmp_path / "demo" / "projects"),)) == []


def test_one_tunnel_is_singular_in_german_and_english(qtbot: QtBot, german: None) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop.presentation.rows import TUNNELS_UP
    from desktop.qt.language import Language
    from desktop.qt.locale_text import tr

    app = QApplication.instance()
    assert app is not None
    language = Language(app)
    try:
        assert tr(TUNNELS_UP(1, up=1)) == "1 von 1 Tunnel aktiv"
        assert tr(TUNNELS_UP(2, up=2)) == "2 von 2 Tunneln aktiv"
    finally:
        language.uninstall()
    english = Language(app, {"DEVTRAY_LANG": "en_US"})
    try:
        assert not english.loaded
        assert tr(TUNNELS_UP(1, up=1)) == "1 of 1 tunnel up"
        assert tr(TUNNELS_UP(2, up=1)) == "1 of 2 tunnels up"
    finally:
        english.uninstall()
