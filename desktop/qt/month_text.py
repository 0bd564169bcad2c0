"""The month's spending in one line, in the user's language: the tray's tooltip row and the
Spending window both show it. Its own module so the tray can say it without loading the window
(and its chart) until someone opens it."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop.core.billed import BilledMonth
from desktop.core.cost import PeriodCost
from desktop.qt.locale_text import day_text, money


def month_line(estimate: PeriodCost, billed: BilledMonth | None, vm_id: str, currency: str) -> str:
    """`This month: $41.20 billed to 22 Nov + $1.90 estimate since` or `…: $43.10
    (estimate)` in the user's language (the CLI's English is `core.billed.month_line`)."""
    if billed is None:
        line = (
            QCoreApplication.translate("SpendingWindow", "This month: {amount} (estimate)")
            if estimate.complete
            else QCoreApplication.translate(
                "SpendingWindow", "This month: {amount} (estimate, partial)"
            )
        )
        return line.format(amount=money(estimate.amount, currency))
    costs = billed.costs
    text = QCoreApplication.translate(
        "SpendingWindow", "This month: {billed} billed to {day} + {estimate} estimate since"
    ).format(
        billed=money(billed.billed, costs.currency),
        day=day_text(costs.through, "dd MMM"),
        estimate=money(billed.estimate_since.amount, costs.currency),
    )
    if not billed.estimate_since.complete:
        text += " " + QCoreApplication.translate("SpendingWindow", "(partial)")
    if not costs.covers_only(vm_id):
        count = len(costs.vm_ids)
        scope = (
            QCoreApplication.translate("SpendingWindow", "(1 VM: {scope})")
            if count == 1
            else QCoreApplication.translate("SpendingWindow", "(all {count} VMs: {scope})")
        )
        text += " " + scope.format(count=count, scope=costs.scope_label)
    return text
