"""Turns the presentation's menu model into a QMenu (and nothing else: no decisions are made
here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtGui import QAction
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


@dataclass(frozen=True)
class _Shown:
    """What a row's QAction shows: compared to skip the Qt calls that would change nothing."""

    text: str
    enabled: bool
    tooltip: str  # "" = Qt's default (the text)


def _shown(item: MenuItem) -> _Shown:
    if item.is_submenu:
        return _Shown(with_mnemonic(item), True, "")
    tooltip = tr(item.reason) if item.reason and not item.enabled else ""
    return _Shown(with_mnemonic(item), item.enabled, tooltip)


def _identity(item: MenuItem) -> tuple[bool, str, bool]:
    """Which row an item is: rows with the same identity are kept and updated in place."""
    return (item.separator, item.key, item.is_submenu)


@dataclass
class _Row:
    """One rendered row: its action, what it shows, and the item a click on it runs."""

    item: MenuItem
    action: QAction
    shown: _Shown
    submenu: _Rows | None = None


@dataclass
class _Rows:
    """A (sub)menu's rendered rows, in order."""

    menu: QMenu
    rows: list[_Row]


class MenuRenderer:
    """Keeps a QMenu showing the latest items, touching only the rows that changed.

    Each row added to or removed from an open menu makes Qt lay out all of its rows again, so
    rebuilding an open menu costs milliseconds while the day moves on. Here the rows the old
    and new menus begin and end with (the same key in the same place) stay; only their text,
    enabled state and tooltip are set, and only when they changed. The rows between are
    replaced. Clicks run the item a row shows now."""

    def __init__(self, menu: QMenu, on_trigger: Callable[[MenuItem], None]) -> None:
        self._on_trigger = on_trigger
        self._top = _Rows(menu, [])
        self.renders = 0  # every render (tests and benchmarks count them)
        self.rows_made = 0  # rows (actions) made anew, over all renders

    def render(self, items: Sequence[MenuItem]) -> None:
        """Show `items`; a click on a row calls `on_trigger` with its item."""
        self.renders += 1
        self._render(self._top, items)

    def _render(self, rendered: _Rows, items: Sequence[MenuItem]) -> None:
        old, new = rendered.rows, list(items)
        same = [_identity(row.item) for row in old]
        wanted = [_identity(item) for item in new]
        head = 0
        while head < min(len(old), len(new)) and same[head] == wanted[head]:
            head += 1
        tail = 0
        while tail < min(len(old), len(new)) - head and same[-1 - tail] == wanted[-1 - tail]:
            tail += 1
        for row in old[head : len(old) - tail]:
            rendered.menu.removeAction(row.action)
            (row.action.menu() or row.action).deleteLater()
        before = old[len(old) - tail].action if tail else None
        made = [self._make(rendered.menu, item, before) for item in new[head : len(new) - tail]]
        kept = [*old[:head], *old[len(old) - tail :]]
        for row, item in zip(kept, [*new[:head], *new[len(new) - tail :]], strict=True):
            self._update(row, item)
        rendered.rows = [*old[:head], *made, *old[len(old) - tail :]]

    def _update(self, row: _Row, item: MenuItem) -> None:
        row.item = item
        shown = _shown(item)
        if shown != row.shown:
            row.action.setText(shown.text)
            row.action.setEnabled(shown.enabled)
            row.action.setToolTip(shown.tooltip)
            row.shown = shown
        if row.submenu is not None:
            self._render(row.submenu, item.children)

    def _make(self, menu: QMenu, item: MenuItem, before: QAction | None) -> _Row:
        self.rows_made += 1
        shown = _shown(item)
        if item.separator:
            action = QAction(menu)
            action.setSeparator(True)
            _insert(menu, before, action)
            return _Row(item, action, shown)
        if item.is_submenu:
            submenu = QMenu(shown.text, menu)
            submenu.setObjectName(item.key)
            action = submenu.menuAction()
            action.setObjectName(item.key)
            _insert(menu, before, action)
            rows = _Rows(submenu, [])
            self._render(rows, item.children)
            return _Row(item, action, shown, rows)
        action = QAction(shown.text, menu)
        action.setObjectName(item.key)
        action.setEnabled(shown.enabled)
        if shown.tooltip:
            action.setToolTip(shown.tooltip)
        row = _Row(item, action, shown)
        action.triggered.connect(lambda _checked=False: self._on_trigger(row.item))
        _insert(menu, before, action)
        return row


def _insert(menu: QMenu, before: QAction | None, action: QAction) -> None:
    """Put `action` into `menu` above `before`, or at the end."""
    if before is None:
        menu.addAction(action)
    else:
        menu.insertAction(before, action)
