""" "Set up your day": the first-run form that makes a project of a folder — which VM, which
folder, which IDE, where on the VM — and writes `.devtray.toml` only when the person agrees."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from desktop.core.project import Project
from desktop.presentation.day_rows import IDE_NAMES
from desktop.qt.bridge import CloudBridge
from desktop.services.projects import DaySetup, save_day_setup


class DaySetupDialog(QDialog):
    """VM, folder, IDE, remote folder; Save checks them and writes on a worker."""

    def __init__(
        self,
        bridge: CloudBridge,
        config_path: Path,
        vms: Sequence[str],
        title: str,
        *,
        on_saved: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("day-setup")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(
            f"{title} — " + QCoreApplication.translate("DaySetupDialog", "Set up your day")
        )
        self._bridge = bridge
        self._config_path = config_path
        self._on_saved = on_saved
        self.vm = QComboBox()
        self.vm.addItems(list(vms))
        self.folder = QLineEdit()
        browse = QPushButton(QCoreApplication.translate("DaySetupDialog", "Choose…"))
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder)
        folder_row.addWidget(browse)
        self.ide = QComboBox()
        for key, name in IDE_NAMES.items():
            self.ide.addItem(name, key)
        self.remote = QLineEdit()
        self.remote.setPlaceholderText("~/src/app")
        self.folder.textChanged.connect(self._suggest_remote)
        self.write_file = QCheckBox(
            QCoreApplication.translate(
                "DaySetupDialog", "Write .devtray.toml into the folder (your team shares it)"
            )
        )
        self.error = QLabel()
        self.error.setWordWrap(True)
        for name, widget in (
            ("vm", self.vm),
            ("folder", self.folder),
            ("browse", browse),
            ("ide", self.ide),
            ("remote", self.remote),
            ("write", self.write_file),
            ("error", self.error),
        ):
            widget.setObjectName(name)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        # The window may open by itself on the first run: say what it is for.
        intro = QLabel(
            QCoreApplication.translate(
                "DaySetupDialog",
                "Pick your VM and your project folder. Then one click on Start my day starts "
                "the VM, syncs the folder to it and opens it in your IDE.",
            )
        )
        intro.setWordWrap(True)
        intro.setObjectName("intro")
        form.addRow(intro)
        labels = (
            (QCoreApplication.translate("DaySetupDialog", "VM"), self.vm, self.vm),
            (
                QCoreApplication.translate("DaySetupDialog", "Project folder"),
                folder_row,
                self.folder,
            ),
            (QCoreApplication.translate("DaySetupDialog", "IDE"), self.ide, self.ide),
            (
                QCoreApplication.translate("DaySetupDialog", "Folder on the VM"),
                self.remote,
                self.remote,
            ),
        )
        for label, row, field in labels:
            form.addRow(label, row)
            field.setAccessibleName(label)  # what a screen reader says for the field
        form.addRow(self.write_file)
        form.addRow(self.error)
        form.addRow(self.buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, QCoreApplication.translate("DaySetupDialog", "Project folder"), self.folder.text()
        )
        if folder:
            self.folder.setText(folder)

    def _suggest_remote(self, folder: str) -> None:
        if not self.remote.isModified() and folder:
            self.remote.setText(f"~/{Path(folder).name}")

    def answers(self) -> DaySetup:
        """The form as typed."""
        return DaySetup(
            folder=Path(self.folder.text().strip()).expanduser(),
            vm=self.vm.currentText(),
            ide=str(self.ide.currentData()),
            remote_path=self.remote.text(),
            write_project_file=self.write_file.isChecked(),
        )

    def save(self) -> None:
        """Check the answers here, write them on a worker, close when written."""
        setup = self.answers()
        problems = (
            setup.problems()
            if self.folder.text().strip()
            else [QCoreApplication.translate("DaySetupDialog", "Choose a folder.")]
        )
        if problems:
            self.error.setText(problems[0])
            return
        self.buttons.setEnabled(False)
        self._bridge.submit(
            lambda: save_day_setup(self._config_path, setup), self._saved, self._failed
        )

    def _saved(self, _project: Project) -> None:
        self._on_saved()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(str(error))
