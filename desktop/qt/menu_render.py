"""Turns the core's menu model into a QMenu (and nothing else: no decisions are made here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QMenu

from desktop.presentation.menu import MenuItem
from desktop.qt.locale_text import tr


def qt_text(text: str) -> str:
    """`text` for a QAction: `&` would otherwise mark a shortcut (VM names are untrusted)."""
    return text.replace("&", "&&")


def with_mnemonic(item: MenuItem) -> str:
    """The QAction text for `item` in the user's language: `&` escaped, and `&` before its
    mnemonic letter (when the translation has that letter)."""
    text = qt_text(tr(item.label))
    if item.mnemonic:
        own = tr(item.text)
        at = own.find(item.mnemonic)
        if at >= 0:
            # The text part is escaped the same way, so count the escapes before `at`.
            at += own[:at].count("&")
            text = text[:at] + "&" + text[at:]
    return text


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
            submenu = menu.addMenu(with_mnemonic(item))
            submenu.setObjectName(item.key)
            submenu.menuAction().setObjectName(item.key)
            render_menu(submenu, item.children, on_trigger)
        else:
            action = menu.addAction(with_mnemonic(item))
            action.setObjectName(item.key)
            action.setEnabled(item.enabled)
            if item.reason and not item.enabled:
                action.setToolTip(tr(item.reason))
            action.triggered.connect(lambda _checked=False, chosen=item: on_trigger(chosen))
