"""Resize…: the sizes a VM may take (vCPU, memory, price) and what resizing will do."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
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

from desktop.core.glance import Problem, describe_resize
from desktop.core.humanize import printable
from desktop.core.model import ResizePlan, VmSize, VmSnapshot
from desktop.qt.controller import TrayController, problem_for

_COLUMNS = ("Size", "vCPU", "Memory", "Price")


def size_row(size: VmSize, current: str) -> list[str]:
    """The cells for one size; the current one is marked."""
    return [
        size.name + (" (current)" if size.name == current else ""),
        str(size.vcpus) if size.vcpus is not None else "–",
        f"{size.memory_gib:g} GiB" if size.memory_gib is not None else "–",
        f"${size.hourly_price:.4f}/h" if size.hourly_price is not None else "unknown",
    ]


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
        self.setWindowTitle(f"{title_prefix} — Resize {printable(vm.name)}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        heading = QLabel(f"<b>{_html(vm.name)}</b> is {vm.state}, size {_html(vm.size)}.")
        self.sizes = QTreeWidget()
        self.sizes.setObjectName("sizes")
        self.sizes.setHeaderLabels(list(_COLUMNS))
        self.sizes.setRootIsDecorated(False)
        self.sizes.setEnabled(False)
        self.sizes.currentItemChanged.connect(self._size_chosen)
        self.effect = QLabel("Loading the sizes you can use…")
        self.effect.setObjectName("effect")
        self.effect.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.resize_button: QPushButton = buttons.addButton(
            "Resize", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.resize_button.setObjectName("confirm-resize")
        self.resize_button.setEnabled(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.sizes)
        layout.addWidget(self.effect)
        layout.addWidget(buttons)
        self.resize(520, 300)
        controller.load_sizes(vm.id, self._sizes_loaded, self._failed)

    def _sizes_loaded(self, sizes: list[VmSize]) -> None:
        for size in sizes:
            item = QTreeWidgetItem(size_row(size, self.vm.size))
            item.setData(0, Qt.ItemDataRole.UserRole, size.name)
            if size.name == self.vm.size:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.sizes.addTopLevelItem(item)
        for column in range(len(_COLUMNS)):
            self.sizes.resizeColumnToContents(column)
        self.sizes.setEnabled(True)
        self.sizes.setFocus()  # arrow keys choose a size straight away
        self.effect.setText("Choose a size.")

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
        if item is None:
            return
        size = str(item.data(0, Qt.ItemDataRole.UserRole))
        self.effect.setText(f"Checking {size}…")
        self.controller.plan_resize(
            self.vm.id, size, lambda plan: self._planned(size, plan), self._failed
        )

    def _planned(self, size: str, plan: ResizePlan) -> None:
        current = self.sizes.currentItem()
        if current is None or current.data(0, Qt.ItemDataRole.UserRole) != size:
            return  # the person has chosen another size since; that check is on its way
        self.plan = plan
        self.effect.setText(describe_resize(plan))
        self.resize_button.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        problem: Problem = problem_for(error)
        self.effect.setText(f"⚠ {problem.text()}")

    def accept(self) -> None:
        """Start the checked resize (it runs on a worker; progress shows in the tray)."""
        if self.plan is not None:
            self.controller.resize_vm(self.plan)
        super().accept()


def _html(text: str) -> str:
    return html.escape(printable(text))
