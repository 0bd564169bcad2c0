"""Settings…: the cloud (AWS profile, region, owner tag; or the Azure lab), polling, login."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
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
from desktop.core.config import AZURE_CLOUDS, load_config
from desktop.core.errors import DevtrayError
from desktop.core.tray_settings import Cloud, TraySettings, save_settings


def _seconds_box(value: float, maximum: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.5, maximum)
    box.setDecimals(1)
    box.setSuffix(" s")
    box.setValue(value)
    return box


def _line(text: str, name: str, placeholder: str) -> QLineEdit:
    line = QLineEdit(text)
    line.setObjectName(name)
    line.setPlaceholderText(placeholder)
    return line


def _fields(*rows: tuple[str, QWidget]) -> QWidget:
    """One cloud's rows, shown only while that cloud is chosen."""
    box = QWidget()
    form = QFormLayout(box)
    form.setContentsMargins(0, 0, 0, 0)
    for label, widget in rows:
        form.addRow(label, widget)
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
        self.cloud.setObjectName("cloud")
        self.cloud.addItems([cloud.value for cloud in Cloud])
        self.profile = QLineEdit(current.profile)
        self.profile.setPlaceholderText("default credential chain")
        self.profile.setObjectName("profile")
        self.region = QLineEdit(current.region)
        self.region.setPlaceholderText("the profile's region")
        self.region.setObjectName("region")
        self.owner_tag = QLineEdit(current.owner_tag)
        self.owner_tag.setObjectName("owner-tag")
        self.subscription = _line(current.azure_subscription, "subscription", "a GUID")
        self.resource_group = _line(current.azure_resource_group, "resource-group", "dev-rg")
        self.lab = _line(current.azure_lab, "lab", "the DevTest Lab's name")
        self.azure_cloud = QComboBox()
        self.azure_cloud.setObjectName("azure-cloud")
        self.azure_cloud.addItems(AZURE_CLOUDS)
        self.azure_cloud.setCurrentText(current.azure_cloud)
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
        self.aws_fields = _fields(
            ("AWS profile", self.profile), ("Region", self.region), ("Owner tag", self.owner_tag)
        )
        self.azure_fields = _fields(
            ("Subscription", self.subscription),
            ("Resource group", self.resource_group),
            ("Lab", self.lab),
            ("Azure cloud", self.azure_cloud),
        )
        self.cloud.currentTextChanged.connect(self._show_cloud_fields)
        self.cloud.setCurrentText(current.cloud.value)
        self._show_cloud_fields(self.cloud.currentText())
        form = QFormLayout()
        form.addRow("Cloud", self.cloud)
        form.addRow(self.aws_fields)
        form.addRow(self.azure_fields)
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

    def _show_cloud_fields(self, cloud: str) -> None:
        self.aws_fields.setVisible(cloud == Cloud.AWS)
        self.azure_fields.setVisible(cloud == Cloud.AZURE)

    def settings(self) -> TraySettings:
        """The settings as currently entered."""
        return TraySettings(
            cloud=Cloud(self.cloud.currentText()),
            profile=self.profile.text(),
            region=self.region.text(),
            owner_tag=self.owner_tag.text(),
            azure_subscription=self.subscription.text(),
            azure_resource_group=self.resource_group.text(),
            azure_lab=self.lab.text(),
            azure_cloud=self.azure_cloud.currentText(),
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
