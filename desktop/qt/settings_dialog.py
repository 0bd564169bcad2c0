"""Settings…: cloud, profile, region, owner tag, polling, start at login."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core.autostart import Autostart
from desktop.core.config import load_config
from desktop.core.errors import DevtrayError
from desktop.core.tray_settings import TraySettings, save_settings


def _seconds_box(value: float, maximum: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.5, maximum)
    box.setDecimals(1)
    box.setSuffix(" s")
    box.setValue(value)
    return box


class SettingsDialog(QDialog):
    """Edits `config.toml` through update_config: the user's other keys and comments survive."""

    def __init__(
        self,
        config_path: Path,
        autostart: Autostart,
        title_prefix: str,
        on_saved: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.config_path = config_path
        self.autostart = autostart
        self._on_saved = on_saved
        self.setObjectName("settings-dialog")
        self.setWindowTitle(f"{title_prefix} — Settings")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        current = TraySettings.from_config(
            load_config(config_path), start_at_login=autostart.enabled()
        )
        self.cloud = QComboBox()
        self.cloud.addItems(["AWS", "Azure (coming soon)"])
        model = self.cloud.model()
        if isinstance(model, QStandardItemModel):
            azure = model.item(1)
            if azure is not None:
                azure.setEnabled(False)
        self.profile = QLineEdit(current.profile)
        self.profile.setPlaceholderText("default credential chain")
        self.profile.setObjectName("profile")
        self.region = QLineEdit(current.region)
        self.region.setPlaceholderText("the profile's region")
        self.region.setObjectName("region")
        self.owner_tag = QLineEdit(current.owner_tag)
        self.owner_tag.setObjectName("owner-tag")
        self.fast = _seconds_box(current.fast_seconds, 60)
        self.fast.setObjectName("fast-seconds")
        self.slow = _seconds_box(current.slow_seconds, 3600)
        self.slow.setObjectName("slow-seconds")
        self.start_at_login = QCheckBox("Start devtray when I log in")
        self.start_at_login.setObjectName("start-at-login")
        self.start_at_login.setChecked(current.start_at_login)
        self.error = QLabel()
        self.error.setObjectName("settings-error")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Cloud", self.cloud)
        form.addRow("AWS profile", self.profile)
        form.addRow("Region", self.region)
        form.addRow("Owner tag", self.owner_tag)
        form.addRow("Refresh while changing", self.fast)
        form.addRow("Refresh while stable", self.slow)
        form.addRow("", self.start_at_login)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def settings(self) -> TraySettings:
        """The settings as currently entered."""
        return TraySettings(
            profile=self.profile.text(),
            region=self.region.text(),
            owner_tag=self.owner_tag.text(),
            fast_seconds=self.fast.value(),
            slow_seconds=self.slow.value(),
            start_at_login=self.start_at_login.isChecked(),
        )

    def accept(self) -> None:
        """Save, or say what is wrong and stay open."""
        try:
            save_settings(self.config_path, self.settings(), self.autostart)
        except DevtrayError as exc:
            self.error.setText(f"⚠ {exc}")
            return
        except OSError as exc:
            self.error.setText(f"⚠ Could not save {self.config_path}: {exc.strerror}")
            return
        self._on_saved()
        super().accept()
