"""Spending…: one VM's cost now, today and this month, and a bar chart of the last 30 days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.core.cost import PeriodCost, SpendSummary, format_money, spend_line
from desktop.core.humanize import printable

CHART_DAYS = 30


class SpendChart(QWidget):
    """Bars, one per day, oldest on the left; a day with unrecorded hours is drawn paler."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spend-chart")
        self.setMinimumSize(360, 140)
        self.days: list[tuple[date, PeriodCost]] = []

    def set_days(self, days: Sequence[tuple[date, PeriodCost]]) -> None:
        """Show these days' costs."""
        self.days = list(days)
        top = max((cost.amount for _day, cost in self.days), default=0.0)
        self.setToolTip(
            f"Highest: {format_money(top)}" if top > 0 else "Nothing spent in these days"
        )
        self.update()

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
            color = QColor(52, 120, 200) if cost.complete else QColor(150, 180, 220)
            painter.fillRect(bar, color)
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
        self.footer = QLabel(
            "Estimates from devtray's own record of the VM's states, priced with list prices."
        )
        self.footer.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addWidget(self.chart)
        layout.addWidget(self.footer)

    def show_spend(self, summary: SpendSummary, days: Sequence[tuple[date, PeriodCost]]) -> None:
        """Fill the window."""
        total = sum(cost.amount for _day, cost in days)
        money = summary.currency
        lines = [
            spend_line(summary),
            f"This month: {format_money(summary.month.amount, money)} ({summary.basis})",
            f"Last {len(days)} days: {format_money(total, money)}",
        ]
        self.summary.setText("\n".join(lines))
        self.chart.set_days(days)
