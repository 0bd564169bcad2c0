"""Spending…: one VM's cost now, today and this month, and a bar chart of the last 30 days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.core.billed import billed_days, month_line
from desktop.core.cost import PeriodCost, SpendSummary, format_money, spend_line
from desktop.core.humanize import printable

CHART_DAYS = 30


ESTIMATES_NOTE = "Estimates from devtray's own record of the VM's states, priced with list prices."

# Bar colours: billed days, complete estimates, estimates with unrecorded or unpriced hours.
BILLED_COLOR = QColor(40, 150, 90)
ESTIMATE_COLOR = QColor(52, 120, 200)
PARTIAL_COLOR = QColor(150, 180, 220)


class SpendChart(QWidget):
    """Bars, one per day, oldest on the left; billed days are green, estimated ones blue, and
    an estimated day with unrecorded hours is drawn paler."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spend-chart")
        self.setMinimumSize(360, 140)
        self.days: list[tuple[date, PeriodCost]] = []
        self.billed: frozenset[date] = frozenset()

    def set_days(
        self, days: Sequence[tuple[date, PeriodCost]], billed: frozenset[date] = frozenset()
    ) -> None:
        """Show these days' costs; those in `billed` are the cloud's bill, not estimates."""
        self.days = list(days)
        self.billed = billed
        top = max((cost.amount for _day, cost in self.days), default=0.0)
        tip = f"Highest: {format_money(top)}" if top > 0 else "Nothing spent in these days"
        if billed:
            tip += f" · billed to {max(billed):%d %b} (green), estimates after (blue)"
        self.setToolTip(tip)
        self.update()

    def _color(self, day: date, cost: PeriodCost) -> QColor:
        if day in self.billed:
            return BILLED_COLOR
        return ESTIMATE_COLOR if cost.complete else PARTIAL_COLOR

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(4, 4, -4, -16)
        top = max((cost.amount for _day, cost in self.days), default=0.0)
        if not self.days:
            painter.end()
            return
        width = area.width() / len(self.days)
        for index, (day, cost) in enumerate(self.days):
            height = 0.0 if top <= 0 else area.height() * cost.amount / top
            bar = QRectF(
                area.left() + index * width + 1, area.bottom() - height, max(1.0, width - 2), height
            )
            painter.fillRect(bar, self._color(day, cost))
            if day.day == 1 or index == len(self.days) - 1:
                painter.drawText(
                    QRectF(bar.left() - 10, area.bottom() + 2, 40, 14),
                    Qt.AlignmentFlag.AlignLeft,
                    day.strftime("%d %b") if index else "",
                )
        painter.end()


class SpendingWindow(QWidget):
    """The Spending window of one VM."""

    def __init__(self, title: str, vm_name: str) -> None:
        super().__init__()
        self.setObjectName("spending-window")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"{title} — Spending: {printable(vm_name)}")
        layout = QVBoxLayout(self)
        self.summary = QLabel("Working it out…")
        self.summary.setObjectName("spend-summary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chart = SpendChart(self)
        self.footer = QLabel(ESTIMATES_NOTE)
        self.footer.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addWidget(self.chart)
        layout.addWidget(self.footer)

    def show_spend(self, summary: SpendSummary, days: Sequence[tuple[date, PeriodCost]]) -> None:
        """Fill the window: estimates, and the cloud's bill where it has one (labelled)."""
        costs = summary.billed.costs if summary.billed else None
        merged, billed = billed_days(days, costs, summary.vm_id)
        total = sum(cost.amount for _day, cost in merged)
        money = summary.currency
        span = f"Last {len(merged)} days: {format_money(total, money)}"
        if billed:
            span += f" (billed to {max(billed):%d %b}, estimate since)"
        lines = [
            spend_line(summary),
            month_line(summary.month, summary.billed, summary.vm_id, money),
            span,
        ]
        saved = summary.spot_saved_month
        if saved is not None and summary.month_on_demand is not None:
            lines.append(
                self.tr("Spot saved {saved} this month ({on_demand} at on-demand prices)").format(
                    saved=format_money(saved, money),
                    on_demand=format_money(summary.month_on_demand.amount, money),
                )
            )
        self.summary.setText("\n".join(lines))
        self.chart.set_days(merged, billed)
        footer = [ESTIMATES_NOTE]
        if costs is not None:
            footer.append(f"Billed figures: {costs.source}, {costs.scope_label}.")
        elif summary.billed_note:
            footer.append(summary.billed_note[0].upper() + summary.billed_note[1:] + ".")
        self.footer.setText(" ".join(footer))
