"""The tray's state icons as a panel shows them: at 16 px and 32 px (1x and 2x), on a light and
a dark panel. Each badge must cover enough of its corner to be seen, no two states may look
alike, and "needs you" (sign-in) is not the error's red. A contact sheet is saved for a person
to look at: artifacts/screenshots/icons.png."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage, QPainter

from desktop.presentation.glance import IconState
from desktop.qt.icons import IconSet
from tests.xsession import SCREENSHOTS

PANELS = {"light": QColor("#f2f2f2"), "dark": QColor("#2b2b2b")}
SIZES = (16, 32)  # a 16 px tray slot at 1x and at 2x
VISIBLE = 60  # a pixel is seen when a channel differs from the panel by this much
MIN_COVER = 0.45  # of the badge corner (the bottom-right quarter)
MIN_APART = 25.0  # mean difference per channel between two states' badge corners


def on_panel(state: IconState, size: int, panel: QColor) -> QImage:
    """The icon as the panel draws it: QIcon's pixmap at `size`, over the panel's colour."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(panel)
    painter = QPainter(image)
    painter.drawPixmap(QPoint(0, 0), IconSet().icon(state).pixmap(size, size))
    painter.end()
    return image


def corner(image: QImage) -> list[QColor]:
    half = image.width() // 2
    return [
        image.pixelColor(x, y)
        for y in range(half, image.width())
        for x in range(half, image.width())
    ]


def _distance(a: QColor, b: QColor) -> int:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue()))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("panel", sorted(PANELS))
def test_each_badge_is_seen_and_no_two_look_alike(qapp: object, panel: str, size: int) -> None:
    background = PANELS[panel]
    corners = {state: corner(on_panel(state, size, background)) for state in IconState}
    for state, pixels in corners.items():
        cover = sum(_distance(c, background) > VISIBLE for c in pixels) / len(pixels)
        assert cover >= MIN_COVER, f"{state} at {size} px on {panel}: {cover:.2f}"
    for a, b in itertools.combinations(IconState, 2):
        apart = sum(
            abs(x.red() - y.red()) + abs(x.green() - y.green()) + abs(x.blue() - y.blue())
            for x, y in zip(corners[a], corners[b], strict=True)
        ) / (3 * len(corners[a]))
        assert apart >= MIN_APART, f"{a} and {b} at {size} px on {panel}: {apart:.1f}"


def _badge_hue(state: IconState) -> int:
    pixels = corner(on_panel(state, 32, PANELS["light"]))
    saturated = [c for c in pixels if c.hsvSaturation() > 120 and c.value() > 60]
    assert saturated, state
    return sorted(c.hsvHue() for c in saturated)[len(saturated) // 2]


def test_needs_you_is_not_the_error_red(qapp: object) -> None:
    def red(hue: int) -> bool:
        return hue < 25 or hue > 335

    assert red(_badge_hue(IconState.ERROR))
    assert not red(_badge_hue(IconState.SIGN_IN))
    assert abs(_badge_hue(IconState.SIGN_IN) - _badge_hue(IconState.TRANSITION)) > 60


def test_contact_sheet_of_every_icon(qapp: object) -> None:
    cell = 40
    sheet = QImage(cell * len(IconState) * 2, cell * 2, QImage.Format.Format_ARGB32)
    painter = QPainter(sheet)
    for row, background in enumerate(PANELS.values()):
        for column, (state, size) in enumerate(itertools.product(IconState, SIZES)):
            painter.fillRect(column * cell, row * cell, cell, cell, background)
            icon = on_panel(state, size, background)
            painter.drawImage(QPoint(column * cell + 4, row * cell + 4), icon)
    painter.end()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert sheet.save(str(SCREENSHOTS / "icons.png"))
