"""Resize…: the sizes a VM may take (vCPU, memory, price) and what resizing will do.

Prices here are one basis, said under the list: the size's own compute price per hour. The
menu's cost line adds the disk and the public address, which a resize does not change.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.humanize import printable
from desktop.core.model import ResizePlan, VmSize, VmSnapshot
from desktop.presentation.glance import describe_resize, state_words
from desktop.qt.controller import TrayController, problem_for
from desktop.qt.locale_text import money, tr


def hourly(amount: float) -> str:
    """`$0.1664/h` in the user's locale."""
    return QCoreApplication.translate("ResizeDialog", "{amount}/h").format(
        amount=money(amount, digits=4)
    )


def price_change(plan: ResizePlan) -> str | None:
    """`$0.3328/h (+$0.17/h)`: the new price, then the change; None when a price is unknown."""
    target = plan.target.hourly_price
    difference = plan.price_difference
    if target is None or difference is None:
        return None
    sign = "+" if difference >= 0 else "\N{MINUS SIGN}"
    change = QCoreApplication.translate("ResizeDialog", "{sign}{amount}/h").format(
        sign=sign, amount=money(abs(difference))
    )
    return f"{hourly(target)} ({change})"


class ResizeDialog(QDialog):
    """Loads sizes and checks the chosen one on workers; the GUI never waits for the cloud."""

    def __init__(
        self,
        controller: TrayController,
        vm: VmSnapshot,
        title_prefix: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.vm = vm
        self.plan: ResizePlan | None = None
        self.setObjectName("resize-dialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        name = printable(vm.name)
        self.setWindowTitle(self.tr("{app} — Resize {vm}").format(app=title_prefix, vm=name))
        heading = QLabel(
            self.tr("<b>{vm}</b> is {state}, size {size}.").format(
                vm=_html(vm.name), state=html.escape(tr(state_words(vm.state))), size=_html(vm.size)
            )
        )
        self.sizes = QTreeWidget()
        self.sizes.setObjectName("sizes")
        self.sizes.setAccessibleName(self.tr("Sizes"))
        self.sizes.setHeaderLabels(
            [self.tr("Size"), self.tr("vCPU"), self.tr("Memory"), self.tr("Price")]
        )
        self.sizes.setRootIsDecorated(False)
        self.sizes.setEnabled(False)
        self.sizes.currentItemChanged.connect(self._size_chosen)
        self.basis = QLabel(
            self.tr(
                "Prices are each size's on-demand compute price per hour. The menu's cost also "
                "counts the disk and the public IP address, which a resize does not change."
            )
        )
        self.basis.setObjectName("price-basis")
        self.basis.setWordWrap(True)
        self.effect = QLabel(self.tr("Loading the sizes you can use…"))
        self.effect.setObjectName("effect")
        self.effect.setWordWrap(True)
        self.price = QLabel()
        self.price.setObjectName("new-price")
        self.warning = QLabel(
            "⚠ "
            + self.tr(
                "The VM stops for the resize: SSH sessions, tunnels and jobs running on it "
                "will be cut off. Save your work there first."
            )
        )
        self.warning.setObjectName("resize-warning")
        self.warning.setWordWrap(True)
        self.warning.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.resize_button: QPushButton = buttons.addButton(
            self.tr("&Resize"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.resize_button.setObjectName("confirm-resize")
        self.resize_button.setEnabled(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.sizes, 1)
        layout.addWidget(self.basis)
        layout.addWidget(self.effect)
        layout.addWidget(self.price)
        layout.addWidget(self.warning)
        layout.addWidget(buttons)
        self.resize(560, 420)
        controller.load_sizes(vm.id, self._sizes_loaded, self._failed)

    def size_row(self, size: VmSize) -> list[str]:
        """The cells for one size; the current one is marked."""
        name = size.name
        if size.name == self.vm.size:
            name = self.tr("{size} (current)").format(size=size.name)
        return [
            name,
            str(size.vcpus) if size.vcpus is not None else "–",
            self.tr("{gib} GiB").format(gib=f"{size.memory_gib:g}")
            if size.memory_gib is not None
            else "–",
            hourly(size.hourly_price) if size.hourly_price is not None else self.tr("unknown"),
        ]

    def _sizes_loaded(self, sizes: list[VmSize]) -> None:
        current = None
        for size in sizes:
            item = QTreeWidgetItem(self.size_row(size))
            item.setData(0, Qt.ItemDataRole.UserRole, size.name)
            if size.name == self.vm.size:
                current = item
            self.sizes.addTopLevelItem(item)
        for column in range(self.sizes.columnCount()):
            self.sizes.resizeColumnToContents(column)
        self.sizes.setEnabled(True)
        self.sizes.setFocus()  # arrow keys move from the current size straight away
        if current is not None:
            self.sizes.setCurrentItem(current)
        else:
            self.effect.setText(self.tr("Choose a size."))

    def choose(self, size: str) -> None:
        """Select `size` in the list (as a click would)."""
        for index in range(self.sizes.topLevelItemCount()):
            item = self.sizes.topLevelItem(index)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == size:
                self.sizes.setCurrentItem(item)
                return
        raise KeyError(size)

    def _size_chosen(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        self.plan = None
        self.resize_button.setEnabled(False)
        self.price.clear()
        self.warning.hide()
        if item is None:
            return
        size = str(item.data(0, Qt.ItemDataRole.UserRole))
        if size == self.vm.size:
            self.effect.setText(
                self.tr("This is {vm}'s size now; choose another one.").format(
                    vm=printable(self.vm.name)
                )
            )
            return
        self.effect.setText(self.tr("Checking {size}…").format(size=size))
        self.controller.plan_resize(
            self.vm.id, size, lambda plan: self._planned(size, plan), self._failed
        )

    def _planned(self, size: str, plan: ResizePlan) -> None:
        current = self.sizes.currentItem()
        if current is None or current.data(0, Qt.ItemDataRole.UserRole) != size:
            return  # the person has chosen another size since; that check is on its way
        self.plan = plan
        self.effect.setText(tr(describe_resize(plan)))
        change = price_change(plan)
        self.price.setText(self.tr("New price: {price}").format(price=change) if change else "")
        self.warning.setVisible(plan.needs_stop)
        self.resize_button.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        self.effect.setText(f"⚠ {problem_for(error).text()}")

    def accept(self) -> None:
        """Start the checked resize (it runs on a worker; progress shows in the tray)."""
        if self.plan is not None:
            self.controller.resize_vm(self.plan)
        super().accept()


def _html(text: str) -> str:
    return html.escape(printable(text))
