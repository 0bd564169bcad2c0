"""Settings…: every setting a user changes from the tray, grouped Cloud, Projects, Auto-stop,
Connection and General in one form (Qt's form layout aligns every field on one column).

A save writes only what the user changed (see `presentation.tray_settings`). A config file devtray
cannot read opens the dialog with defaults and the error on top, so it can be fixed here or in
the file (the tray keeps running with a broken file for that).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core.config import AZURE_CLOUDS, WEEKDAYS, Config, load_config
from desktop.core.errors import DevtrayError
from desktop.presentation.tray_settings import Cloud, TraySettings, save_settings
from desktop.qt.locale_text import user_locale
from desktop.system.autostart import Autostart


def _seconds_box(name: str, value: float, maximum: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setObjectName(name)
    box.setRange(0.5, maximum)
    box.setDecimals(1)
    box.setSuffix(" s")
    box.setValue(value)
    return box


def _minutes_box(name: str, value: float, suffix: str) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(1, 24 * 60)
    box.setSuffix(suffix)
    box.setValue(round(value))
    return box


def _line(text: str, name: str, placeholder: str = "") -> QLineEdit:
    line = QLineEdit(text)
    line.setObjectName(name)
    line.setPlaceholderText(placeholder)
    line.setClearButtonEnabled(True)
    return line


def _check(text: str, name: str, checked: bool) -> QCheckBox:
    box = QCheckBox(text)
    box.setObjectName(name)
    box.setChecked(checked)
    return box


def _with_button(field: QWidget, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    layout.addWidget(button)
    return row


class SettingsDialog(QDialog):
    """Edits `config.toml` through update_config: the user's other keys and comments survive."""

    def __init__(
        self,
        config_path: Path,
        autostart: Autostart,
        title_prefix: str,
        on_saved: Callable[[], None],
        parent: QWidget | None = None,
        *,
        open_file: Callable[[Path], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.config_path = config_path
        self.autostart = autostart
        self._on_saved = on_saved
        self.setObjectName("settings-dialog")
        self.setWindowTitle(self.tr("{app} — Settings").format(app=title_prefix))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.problem = QLabel()
        self.problem.setObjectName("settings-problem")
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.open_config = QPushButton(self.tr("&Open config.toml"))
        self.open_config.setObjectName("open-config")
        if open_file is not None:
            self.open_config.clicked.connect(lambda: open_file(config_path))
        try:
            config = load_config(config_path)
        except DevtrayError as exc:
            config = Config(path=config_path)
            self.problem.setText(
                self.tr("devtray cannot read {path}: {error}\nFix it below or in the file.").format(
                    path=config_path, error=exc
                )
            )
        else:
            self.problem.hide()
            self.open_config.hide()
        self.before = TraySettings.from_config(config, start_at_login=autostart.enabled())
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._cloud_rows(self.before)
        self._project_rows(self.before)
        self._autostop_rows(self.before)
        self._connection_rows(self.before)
        self._general_rows(self.before)
        self.error = QLabel()
        self.error.setObjectName("settings-error")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.problem)
        layout.addWidget(self.open_config, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addStretch()
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())
        # What each number box showed at first: a box rounds or clamps the file's value
        # (7.5 min shows as 8, 0.05 s as 0.5), and an untouched box keeps the file's value.
        self._shown_first = {
            box: box.value() for box in (self.idle, self.warn, self.fast, self.slow)
        }

    # -- the groups ---------------------------------------------------------------------------

    def _header(self, text: str) -> None:
        label = QLabel(text)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        label.setContentsMargins(0, 8, 0, 0)
        self.form.addRow(label)

    def _row(self, label: str, field: QWidget, accessible: QWidget | None = None) -> None:
        self.form.addRow(label, field)
        (accessible or field).setAccessibleName(label.replace("&", ""))

    def _cloud_rows(self, current: TraySettings) -> None:
        self._header(self.tr("Cloud"))
        self.cloud = QComboBox()
        self.cloud.setObjectName("cloud")
        self.cloud.addItems([cloud.value for cloud in Cloud])
        self._row(self.tr("&Cloud"), self.cloud)
        self.profile = _line(current.profile, "profile", self.tr("default credential chain"))
        self.region = _line(current.region, "region", self.tr("the profile's region"))
        self.owner_tag = _line(current.owner_tag, "owner-tag")
        self.subscription = _line(current.azure_subscription, "subscription", self.tr("a GUID"))
        self.resource_group = _line(current.azure_resource_group, "resource-group", "dev-rg")
        self.lab = _line(current.azure_lab, "lab", self.tr("the DevTest Lab's name"))
        self.azure_cloud = QComboBox()
        self.azure_cloud.setObjectName("azure-cloud")
        self.azure_cloud.addItems(AZURE_CLOUDS)
        self.azure_cloud.setCurrentText(current.azure_cloud)
        self.aws_rows: tuple[QWidget, ...] = (self.profile, self.region, self.owner_tag)
        self.azure_rows: tuple[QWidget, ...] = (
            self.subscription,
            self.resource_group,
            self.lab,
            self.azure_cloud,
        )
        for label, aws_field in zip(
            (self.tr("AWS &profile"), self.tr("&Region"), self.tr("Owner &tag")),
            self.aws_rows,
            strict=True,
        ):
            self._row(label, aws_field)
        for label, field in zip(
            (
                self.tr("Subscription"),
                self.tr("Resource group"),
                self.tr("&Lab"),
                self.tr("Azure cloud"),
            ),
            self.azure_rows,
            strict=True,
        ):
            self._row(label, field)
        self.cloud.currentTextChanged.connect(self._show_cloud_fields)
        self.cloud.setCurrentText(current.cloud.value)
        self._show_cloud_fields(self.cloud.currentText())

    def _project_rows(self, current: TraySettings) -> None:
        self._header(self.tr("Projects"))
        self.project = _line(current.project, "project", self.tr("the local folder to sync"))
        choose = QPushButton(self.tr("Choose…"))
        choose.setObjectName("choose-project")
        choose.clicked.connect(self._choose_project)
        self._row(self.tr("Project &folder"), _with_button(self.project, choose), self.project)
        self.ports = _line(current.tunnel_ports, "tunnel-ports", "8000, 5432:db.internal:5432")
        self._row(self.tr("Forwarded &ports"), self.ports)

    def _autostop_rows(self, current: TraySettings) -> None:
        self._header(self.tr("Auto-stop"))
        self.autostop = _check(
            self.tr("&Stop my VM at the end of the day"),
            "autostop-enabled",
            current.autostop_enabled,
        )
        self.form.addRow("", self.autostop)
        self.stop_at = QTimeEdit(QTime.fromString(current.stop_at, "HH:mm"))
        self.stop_at.setObjectName("stop-at")
        self.stop_at.setDisplayFormat("HH:mm")
        self._row(self.tr("Stop &at"), self.stop_at)
        days = QWidget()
        row = QHBoxLayout(days)
        row.setContentsMargins(0, 0, 0, 0)
        self.days: dict[str, QCheckBox] = {}
        locale = user_locale()
        for number, day in enumerate(WEEKDAYS, start=1):
            name = locale.dayName(number, QLocale.FormatType.ShortFormat)
            box = _check(name, f"day-{day}", day in current.stop_days)
            self.days[day] = box
            row.addWidget(box)
        row.addStretch()
        self._row(self.tr("On"), days)
        self.idle = _minutes_box("idle-minutes", current.idle_minutes, self.tr(" min"))
        self._row(self.tr("When &idle for"), self.idle)
        self.warn = _minutes_box("warn-minutes", current.warn_minutes, self.tr(" min"))
        self._row(self.tr("&Warn before"), self.warn)
        self.autostop.toggled.connect(self._enable_autostop)
        self._enable_autostop(current.autostop_enabled)

    def _connection_rows(self, current: TraySettings) -> None:
        self._header(self.tr("Connection"))
        self.ssh_user = _line(current.ssh_user, "ssh-user", self.tr("the VM image's user"))
        self._row(self.tr("SSH &user"), self.ssh_user)
        self.ssh_key = _line(current.ssh_identity_file, "ssh-key", "~/.ssh/id_ed25519")
        choose = QPushButton(self.tr("Choose…"))
        choose.setObjectName("choose-ssh-key")
        choose.clicked.connect(self._choose_key)
        self._row(self.tr("SSH &key"), _with_button(self.ssh_key, choose), self.ssh_key)

    def _general_rows(self, current: TraySettings) -> None:
        self._header(self.tr("General"))
        self.start_at_login = _check(
            self.tr("Start devtray when I &log in"), "start-at-login", current.start_at_login
        )
        self.form.addRow("", self.start_at_login)
        self.fast = _seconds_box("fast-seconds", current.fast_seconds, 60)
        self._row(self.tr("Refresh while &changing"), self.fast)
        self.slow = _seconds_box("slow-seconds", current.slow_seconds, 3600)
        self._row(self.tr("Refresh while s&table"), self.slow)

    # -- behaviour ----------------------------------------------------------------------------

    def _show_cloud_fields(self, cloud: str) -> None:
        for row in self.aws_rows:
            self.form.setRowVisible(row, cloud == Cloud.AWS)
        for row in self.azure_rows:
            self.form.setRowVisible(row, cloud == Cloud.AZURE)

    def _enable_autostop(self, enabled: bool) -> None:
        for field in (self.stop_at, self.idle, self.warn, *self.days.values()):
            field.setEnabled(enabled)

    def _choose_project(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Project folder"), self.project.text()
        )
        if folder:
            self.project.setText(folder)

    def _choose_key(self) -> None:
        start = self.ssh_key.text() or str(Path.home() / ".ssh")
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("SSH key"), start)
        if path:
            self.ssh_key.setText(path)

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
            project=self.project.text(),
            tunnel_ports=self.ports.text(),
            autostop_enabled=self.autostop.isChecked(),
            stop_at=self.stop_at.time().toString("HH:mm"),
            stop_days=tuple(day for day, box in self.days.items() if box.isChecked()),
            idle_minutes=self._number(self.idle, self.before.idle_minutes),
            warn_minutes=self._number(self.warn, self.before.warn_minutes),
            ssh_user=self.ssh_user.text(),
            ssh_identity_file=self.ssh_key.text(),
            fast_seconds=self._number(self.fast, self.before.fast_seconds),
            slow_seconds=self._number(self.slow, self.before.slow_seconds),
            start_at_login=self.start_at_login.isChecked(),
        )

    def _number(self, box: QSpinBox | QDoubleSpinBox, before: float) -> float:
        shown = box.value()
        return before if shown == self._shown_first[box] else float(shown)

    def accept(self) -> None:
        """Save, or say what is wrong and stay open."""
        try:
            save_settings(self.config_path, self.settings(), self.before, self.autostart)
        except DevtrayError as exc:
            self.error.setText(f"⚠ {exc}")
            return
        except OSError as exc:
            self.error.setText(
                "⚠ "
                + self.tr("Could not save {path}: {reason}").format(
                    path=self.config_path, reason=exc.strerror
                )
            )
            return
        self._on_saved()
        super().accept()
