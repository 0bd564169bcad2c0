"""The menu renderer on a real QMenu (offscreen): rows that stay are updated in place, the
rows between are replaced, and a click runs the item its row shows now."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from desktop.presentation.menu import SEPARATOR, Action, MenuItem
from desktop.qt.menu_render import MenuRenderer


@pytest.fixture
def menu(qtbot: QtBot) -> Iterator[QMenu]:
    shown = QMenu()
    yield shown
    shown.deleteLater()


def rows(menu: QMenu) -> list[tuple[str, str, bool]]:
    """(key, text, enabled) of each row; separators as ("-", "", True)."""
    return [
        ("-", "", True) if a.isSeparator() else (a.objectName(), a.text(), a.isEnabled())
        for a in menu.actions()
    ]


def by_key(menu: QMenu) -> dict[str, QAction]:
    return {a.objectName(): a for a in menu.actions() if a.objectName()}


def test_rows_that_stay_are_updated_in_place_and_clicks_run_the_latest_item(
    menu: QMenu,
) -> None:
    clicked: list[MenuItem] = []
    renderer = MenuRenderer(menu, clicked.append)
    start = MenuItem("Start", key="start", action=Action.START, vm_id="a")
    renderer.render([MenuItem("devbox · stopped", key="state", enabled=False), SEPARATOR, start])
    first = by_key(menu)

    renderer.render(
        [
            MenuItem("devbox · running", key="state", enabled=False),
            SEPARATOR,
            MenuItem("Start", key="start", enabled=False, reason="already running"),
        ]
    )

    assert rows(menu) == [
        ("state", "devbox · running", False),
        ("-", "", True),
        ("start", "Start — already running", False),
    ]
    assert by_key(menu) == first  # the same QActions: nothing was made anew
    assert renderer.rows_made == 3
    assert first["start"].toolTip() == "already running"
    renderer.render([MenuItem("devbox · running", key="state"), SEPARATOR, start])
    assert first["start"].isEnabled()
    assert first["start"].toolTip() == "Start"  # Qt's default again: the text
    first["start"].trigger()
    assert clicked == [start]


def test_rows_between_the_kept_head_and_tail_are_replaced_in_order(menu: QMenu) -> None:
    clicked: list[MenuItem] = []
    renderer = MenuRenderer(menu, clicked.append)
    quit_row = MenuItem("Quit", key="quit", action=Action.QUIT)
    renderer.render(
        [MenuItem("devtray", key="title"), MenuItem("Start", key="start"), SEPARATOR, quit_row]
    )
    kept = by_key(menu)
    sync = MenuItem(
        "Sync",
        key="sync",
        children=(MenuItem("Pause sync", key="sync:pause"), MenuItem("Stop", key="sync:stop")),
    )

    renderer.render(
        [
            MenuItem("devtray", key="title"),
            MenuItem("Stop", key="stop"),
            sync,
            SEPARATOR,
            quit_row,
        ]
    )

    assert [key for key, _text, _on in rows(menu)] == ["title", "stop", "sync", "-", "quit"]
    now = by_key(menu)
    assert now["title"] is kept["title"] and now["quit"] is kept["quit"]
    assert not isValid(kept["start"]) or kept["start"] not in menu.actions()
    submenu = now["sync"].menu()
    assert isinstance(submenu, QMenu)
    assert [a.objectName() for a in submenu.actions()] == ["sync:pause", "sync:stop"]
    by_key(submenu)["sync:stop"].trigger()
    now["quit"].trigger()
    assert [item.key for item in clicked] == ["sync:stop", "quit"]
    assert renderer.rows_made == 4 + 4  # stop, sync and its two rows, the separator kept
