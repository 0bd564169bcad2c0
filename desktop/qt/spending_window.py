"""Spending…: one VM's cost now, today and this month, and a bar chart of the last 30 days.

The chart is one small painter (QtCharts lives in PySide6-Addons, which devtray does not ship):
a dollar axis with round steps, one bar per day with its value on hover, billed and estimated
days in different colours (a legend says which), today outlined, all in the palette's colours
so it reads in light and dark themes, and laid out from the widget's size on every paint.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QLocale, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QLabel,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop.core.billed import billed_days
from desktop.core.cost import PeriodCost
from desktop.core.humanize import printable
from desktop.core.spend import SpendSummary, spend_words
from desktop.core.text import english_plural
from desktop.qt.locale_text import day_text, money, tr
from desktop.qt.month_text import month_line
from desktop.qt.window_keys import ClosableWindow

CHART_DAYS = 30

# Mid-tone colours that read on a light and a dark window alike.
BILLED_COLOR = QColor(46, 160, 98)
ESTIMATE_COLOR = QColor(66, 133, 214)
# An estimate with hours devtray did not record (or could not price) is the same hue, lighter.
PARTIAL_ALPHA = 110
AXIS_STEPS = 4  # at most this many steps above zero


def axis_step(top: float) -> float:
    """A round step (1, 2 or 5 x 10ⁿ dollars) that reaches `top` in at most AXIS_STEPS steps."""
    if top <= 0:
        return 1.0
    raw = top / AXIS_STEPS
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


class SpendChart(QWidget):
    """Bars, one per day, oldest on the left; hovering a bar shows its day and amount."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spend-chart")
        self.setAccessibleName(self.tr("Cost per day"))
        self.setMinimumSize(360, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.days: list[tuple[date, PeriodCost]] = []
        self.billed: frozenset[date] = frozenset()
        self.currency = "USD"
        self.today: date | None = None
        self.hovered: int | None = None

    def set_days(
        self,
        days: Sequence[tuple[date, PeriodCost]],
        billed: frozenset[date] = frozenset(),
        currency: str = "USD",
    ) -> None:
        """Show these days' costs (the last is today); those in `billed` are the cloud's bill."""
        self.days = list(days)
        self.billed = billed
        self.currency = currency
        self.today = self.days[-1][0] if self.days else None
        self.setAccessibleDescription(
            "; ".join(self.bar_text(index) for index in range(len(self.days)))
        )
        self.update()

    # -- geometry (recomputed from the widget's size, so the chart follows the window) ----------

    def axis_top(self) -> float:
        """The axis' highest value: a whole number of round steps above the dearest day."""
        top = max((cost.amount for _day, cost in self.days), default=0.0)
        step = axis_step(top)
        return step * max(1, math.ceil(top / step - 1e-9))

    def axis_labels(self) -> list[tuple[float, str]]:
        """The dollar axis: (value, text) from zero up."""
        top = self.axis_top()
        step = axis_step(top)
        digits = 0 if step >= 1 else 2
        count = round(top / step)
        return [(i * step, money(i * step, self.currency, digits)) for i in range(count + 1)]

    def plot_area(self) -> QRectF:
        """Where the bars go: right of the axis labels, above the date labels."""
        metrics = self.fontMetrics()
        label_width = max(
            (metrics.horizontalAdvance(text) for _value, text in self.axis_labels()), default=0
        )
        line = metrics.height()
        return QRectF(self.rect()).adjusted(label_width + 10, line / 2 + 2, -8, -(line + 8))

    def bar_rect(self, index: int) -> QRectF:
        """The full-height slot of bar `index` (the bar is drawn in its lower part)."""
        area = self.plot_area()
        width = area.width() / max(1, len(self.days))
        return QRectF(area.left() + index * width, area.top(), width, area.height())

    def bar_at(self, point: QPointF) -> int | None:
        """The bar under `point`, if any."""
        area = self.plot_area()
        if not self.days or not area.adjusted(0, 0, 0, 2).contains(point):
            return None
        index = int((point.x() - area.left()) / (area.width() / len(self.days)))
        return min(max(index, 0), len(self.days) - 1)

    def bar_text(self, index: int) -> str:
        """`Mon 2 Nov: $0.35 (estimate)`: what hovering bar `index` shows."""
        day, cost = self.days[index]
        amount = money(cost.amount, self.currency)
        if day in self.billed:
            kind = self.tr("billed")
        elif cost.complete:
            kind = self.tr("estimate")
        else:
            kind = self.tr("estimate; some hours were not recorded")
        text = self.tr("{day}: {amount} ({kind})").format(
            day=day_text(day, QLocale.FormatType.LongFormat), amount=amount, kind=kind
        )
        return self.tr("Today, {text}").format(text=text) if day == self.today else text

    def date_label_indexes(self) -> list[int]:
        """The bars whose day is written under them: evenly spaced, never overlapping, today
        always, counting back from it."""
        if not self.days:
            return []
        widest = max(self.fontMetrics().horizontalAdvance(_short(day)) for day, _ in self.days)
        slot = self.plot_area().width() / len(self.days)
        every = max(1, math.ceil((widest + 8) / max(slot, 1.0)))
        last = len(self.days) - 1
        return sorted(range(last, -1, -every))

    # -- drawing ------------------------------------------------------------------------------

    def _bar_color(self, day: date, cost: PeriodCost) -> QColor:
        color = QColor(BILLED_COLOR if day in self.billed else ESTIMATE_COLOR)
        if day not in self.billed and not cost.complete:
            color.setAlpha(PARTIAL_ALPHA)
        return color

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_color = palette.color(QPalette.ColorRole.WindowText)
        grid = QColor(text_color)
        grid.setAlpha(50)
        area = self.plot_area()
        metrics = self.fontMetrics()
        top = self.axis_top()
        for value, text in self.axis_labels():
            y = area.bottom() - area.height() * value / top
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(text_color)
            label = QRectF(0, y - metrics.height() / 2, area.left() - 6, metrics.height())
            painter.drawText(
                label, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text
            )
        for index, (day, cost) in enumerate(self.days):
            slot = self.bar_rect(index)
            gap = min(3.0, slot.width() * 0.2)
            height = area.height() * cost.amount / top
            bar = QRectF(slot.left() + gap / 2, area.bottom() - height, slot.width() - gap, height)
            if index == self.hovered:
                painter.fillRect(slot, palette.color(QPalette.ColorRole.AlternateBase))
            if height > 0:
                painter.fillRect(bar, self._bar_color(day, cost))
            if day == self.today:
                painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
                painter.drawRect(slot.adjusted(1, 1, -1, 0))
        painter.setPen(text_color)
        for index in self.date_label_indexes():
            day = self.days[index][0]
            slot = self.bar_rect(index)
            font = painter.font()
            font.setBold(day == self.today)
            painter.setFont(font)
            text = _short(day)
            width = metrics.horizontalAdvance(text) + 8
            left = min(max(slot.center().x() - width / 2, 0.0), self.width() - width)
            painter.drawText(
                QRectF(left, area.bottom() + 4, width, metrics.height()),
                Qt.AlignmentFlag.AlignHCenter,
                text,
            )
        painter.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.bar_at(event.position())
        if index != self.hovered:
            self.hovered = index
            self.update()
        if index is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPosition().toPoint(), self.bar_text(index), self)

    def leaveEvent(self, event: object) -> None:
        self.hovered = None
        self.update()


def _short(day: date) -> str:
    # Day and short month in the locale's order ("2 Nov", "Nov 2", "2. Nov.").
    return day_text(day, "d MMM")


def _swatch(color: QColor, text: str) -> str:
    return f'<span style="color:{color.name(QColor.NameFormat.HexArgb)}">■</span>&nbsp;{text}'


class SpendingWindow(ClosableWindow):
    """The Spending window of one VM; Esc, Return, Ctrl+W or Close close it."""

    def __init__(self, title: str, vm_name: str) -> None:
        super().__init__()
        self.setObjectName("spending-window")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(
            self.tr("{app} — Spending: {vm}").format(app=title, vm=printable(vm_name))
        )
        layout = QVBoxLayout(self)
        self.summary = QLabel(self.tr("Working it out…"))
        self.summary.setObjectName("spend-summary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        self.chart = SpendChart(self)
        self.legend = QLabel()
        self.legend.setObjectName("spend-legend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.footer = QLabel(self.estimates_note())
        self.footer.setObjectName("spend-footer")
        self.footer.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout.addWidget(self.summary)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.footer)
        layout.addWidget(buttons)
        self.resize(640, 440)  # the same size each time it opens

    def estimates_note(self) -> str:
        """What the estimates are made of."""
        return self.tr(
            "Estimates come from devtray's own record of the VM's states, priced with list prices."
        )

    def show_spend(self, summary: SpendSummary, days: Sequence[tuple[date, PeriodCost]]) -> None:
        """Fill the window: estimates, and the cloud's bill where it has one (labelled)."""
        costs = summary.billed.costs if summary.billed else None
        merged, billed = billed_days(days, costs, summary.vm_id)
        total = sum(cost.amount for _day, cost in merged)
        currency = summary.currency
        span = english_plural(
            self.tr("Last %n day(s): {amount}", "", len(merged)), len(merged)
        ).format(amount=money(total, currency))
        if billed:
            span += " " + self.tr("(billed to {day}, estimate since)").format(
                day=_short(max(billed))
            )
        lines = [
            tr(spend_words(summary)),
            month_line(summary.month, summary.billed, summary.vm_id, currency),
            span,
        ]
        if summary.stopped_daily is not None:
            lines.append(
                self.tr("While stopped it still costs {amount}/day (disks, IP address).").format(
                    amount=money(summary.stopped_daily, currency)
                )
            )
        saved = summary.spot_saved_month
        if saved is not None and summary.month_on_demand is not None:
            lines.append(
                self.tr("Spot saved {saved} this month ({on_demand} at on-demand prices)").format(
                    saved=money(saved, currency),
                    on_demand=money(summary.month_on_demand.amount, currency),
                )
            )
        self.summary.setText("\n".join(lines))
        self.chart.set_days(merged, billed, currency)
        self.legend.setText(self.legend_text(merged, billed))
        footer = [self.estimates_note()]
        if costs is not None:
            footer.append(
                self.tr("Billed figures: {source}, {scope}.").format(
                    source=costs.source, scope=costs.scope_label
                )
            )
        elif summary.billed_note:
            footer.append(summary.billed_note[0].upper() + summary.billed_note[1:] + ".")
        self.footer.setText(" ".join(footer))

    def legend_text(self, days: Sequence[tuple[date, PeriodCost]], billed: frozenset[date]) -> str:
        """The legend: the kinds of bar this chart has, and today's outline."""
        entries = []
        if billed:
            entries.append(_swatch(BILLED_COLOR, self.tr("Billed by the cloud")))
        entries.append(_swatch(ESTIMATE_COLOR, self.tr("Estimate")))
        if any(day not in billed and not cost.complete for day, cost in days):
            partial = QColor(ESTIMATE_COLOR)
            partial.setAlpha(PARTIAL_ALPHA)
            entries.append(_swatch(partial, self.tr("Estimate, some hours not recorded")))
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        entries.append(_swatch(highlight, self.tr("Today (outlined)")))
        entries.append(self.tr("Hover a bar for its amount."))
        return " &nbsp; ".join(entries)
