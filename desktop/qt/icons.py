"""Tray icons from the SVGs in `resources/icons/`, one per `IconState`, crisp at any scale."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon

from desktop.presentation.glance import IconState
from desktop.system.bundle import resource_path


def icon_path(state: IconState) -> Path:
    """The SVG for one state (from the checkout or the installed bundle)."""
    return resource_path(f"icons/devtray-{state}.svg")


class IconSet:
    """The five state icons, loaded once (QIcon renders SVG at each requested size)."""

    def __init__(self) -> None:
        self._icons: dict[IconState, QIcon] = {}

    def icon(self, state: IconState) -> QIcon:
        """The icon for `state`."""
        if state not in self._icons:
            icon = QIcon(str(icon_path(state)))
            # macOS menu bars want template images; our badges differ in shape, not only colour.
            icon.setIsMask(sys.platform == "darwin")
            self._icons[state] = icon
        return self._icons[state]
