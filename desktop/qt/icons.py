"""Tray icons from the SVGs in `resources/icons/`, one per `IconState`, crisp at any scale."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtGui import QIcon

from desktop.core.glance import IconState

RESOURCES_ENV = "DEVTRAY_RESOURCES"


def resources_dir() -> Path:
    """`$DEVTRAY_RESOURCES`, else `resources/` next to the package (source or editable install)."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "resources"


def icon_path(state: IconState) -> Path:
    """The SVG for one state."""
    return resources_dir() / "icons" / f"devtray-{state}.svg"


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
