"""Turns the core's menu model into a QMenu (and nothing else: no decisions are made here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QMenu

from desktop.core.menu import MenuItem


def qt_text(text: str) -> str:
    """`text` for a QAction: `&` would otherwise mark a shortcut (VM names are untrusted)."""
    return text.replace("&", "&&")


def render_menu(
    menu: QMenu, items: Sequence[MenuItem], on_trigger: Callable[[MenuItem], None]
) -> None:
    """Replace `menu`'s rows with `items`; a click calls `on_trigger(item)`."""
    for submenu in menu.findChildren(QMenu):
        submenu.deleteLater()
    menu.clear()
    for item in items:
        if item.separator:
            menu.addSeparator()
        elif item.is_submenu:
            submenu = menu.addMenu(qt_text(item.label))
            submenu.setObjectName(item.key)
            submenu.menuAction().setObjectName(item.key)
            render_menu(submenu, item.children, on_trigger)
        else:
            action = menu.addAction(qt_text(item.label))
            action.setObjectName(item.key)
            action.setEnabled(item.enabled)
            if item.reason and not item.enabled:
                action.setToolTip(item.reason)
            action.triggered.connect(lambda _checked=False, chosen=item: on_trigger(chosen))
