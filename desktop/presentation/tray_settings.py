"""The tray's Settings window as data: read from the config, written back through update_config.

A save writes only the keys whose value the user changed (`config_changes(before)`): ticking
"start at login" must not fill the file with defaults the user never chose.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path

from desktop.core.config import (
    WEEKDAYS,
    AutostopConfig,
    AwsConfig,
    AzureConfig,
    Config,
    PollingConfig,
    update_config,
)
from desktop.core.errors import BadConfig
from desktop.system.autostart import Autostart


class Cloud(enum.StrEnum):
    """The cloud whose section Settings… edits (the other section is left as it is)."""

    AWS = "AWS"
    AZURE = "Azure"


DEFAULT_STOP_AT = "19:00"


def _text(value: object) -> object:
    # Empty text removes the key: the default applies again.
    return str(value).strip() or None


def _owner_tag(value: object) -> object:
    tag = str(value).strip()
    return None if tag in ("", AwsConfig.owner_tag) else tag


def _azure_cloud(value: object) -> object:
    # The default cloud is left unwritten (it may not be given beside a private arm_endpoint).
    return None if value == AzureConfig.cloud else value


def _ports(value: object) -> object:
    ports = [part.strip() for part in str(value).split(",") if part.strip()]
    return ports or None


def _same(value: object) -> object:
    return value


def _days(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


# Field -> (section, key, how the field's value is written), for the keys a save may write.
_KEYS: dict[str, tuple[str, str, Callable[[object], object]]] = {
    "profile": ("aws", "profile", _text),
    "region": ("aws", "region", _text),
    "owner_tag": ("aws", "owner_tag", _owner_tag),
    "azure_subscription": ("azure", "subscription", _text),
    "azure_resource_group": ("azure", "resource_group", _text),
    "azure_lab": ("azure", "lab", _text),
    "azure_cloud": ("azure", "cloud", _azure_cloud),
    "project": ("connect", "project", _text),
    "tunnel_ports": ("tunnels", "ports", _ports),
    "autostop_enabled": ("autostop", "enabled", _same),
    "stop_at": ("autostop", "stop_at", _text),
    "stop_days": ("autostop", "days", _days),
    "idle_minutes": ("autostop", "idle_minutes", _same),
    "warn_minutes": ("autostop", "warn_minutes", _same),
    "ssh_user": ("ssh", "user", _text),
    "ssh_identity_file": ("ssh", "identity_file", _text),
    "fast_seconds": ("polling", "fast_seconds", _same),
    "slow_seconds": ("polling", "slow_seconds", _same),
}
_CLOUD_SECTIONS = {Cloud.AWS: "aws", Cloud.AZURE: "azure"}


def _stop_time(stop_times: tuple[time | None, ...]) -> str:
    first = next((t for t in stop_times if t is not None), None)
    return first.strftime("%H:%M") if first is not None else DEFAULT_STOP_AT


@dataclass(frozen=True)
class TraySettings:
    """What Settings… edits. Empty text means "not set" (the key is removed from the file)."""

    # Cloud
    cloud: Cloud = Cloud.AWS
    profile: str = ""
    region: str = ""
    owner_tag: str = AwsConfig.owner_tag
    azure_subscription: str = ""
    azure_resource_group: str = ""
    azure_lab: str = ""
    azure_cloud: str = AzureConfig.cloud
    # Projects
    project: str = ""
    tunnel_ports: str = ""  # "8000, 5432:db:5432"
    # Auto-stop
    autostop_enabled: bool = AutostopConfig.enabled
    stop_at: str = DEFAULT_STOP_AT
    stop_days: tuple[str, ...] = WEEKDAYS[:5]
    idle_minutes: float = AutostopConfig.idle_minutes
    warn_minutes: float = AutostopConfig.warn_minutes
    # Connection
    ssh_user: str = ""
    ssh_identity_file: str = ""
    # General
    fast_seconds: float = PollingConfig.fast_seconds
    slow_seconds: float = PollingConfig.slow_seconds
    start_at_login: bool = False

    @classmethod
    def from_config(cls, config: Config, *, start_at_login: bool) -> TraySettings:
        """The current settings."""
        aws = config.aws or AwsConfig()
        azure = config.azure
        lab = azure.labs[0] if azure is not None and azure.labs else None
        autostop = config.autostop
        return cls(
            cloud=Cloud.AZURE if azure is not None and config.aws is None else Cloud.AWS,
            profile=aws.profile or "",
            region=aws.region or "",
            owner_tag=aws.owner_tag,
            azure_subscription=lab.subscription if lab else "",
            azure_resource_group=lab.resource_group if lab else "",
            azure_lab=lab.name if lab else "",
            azure_cloud=azure.cloud if azure is not None else AzureConfig.cloud,
            project=config.connect.project or "",
            tunnel_ports=", ".join(config.tunnels.ports),
            autostop_enabled=autostop.enabled,
            stop_at=_stop_time(autostop.stop_times),
            stop_days=tuple(
                day for day, at in zip(WEEKDAYS, autostop.stop_times, strict=True) if at
            ),
            idle_minutes=autostop.idle_minutes,
            warn_minutes=autostop.warn_minutes,
            ssh_user=config.ssh.user or "",
            ssh_identity_file=config.ssh.identity_file or "",
            fast_seconds=config.polling.fast_seconds,
            slow_seconds=config.polling.slow_seconds,
            start_at_login=start_at_login,
        )

    def check(self) -> None:
        """Raise BadConfig for values that cannot go together."""
        if self.fast_seconds > self.slow_seconds:
            raise BadConfig(
                "Polling while a VM changes must not be slower than while it is stable.",
                hint="Make the first number smaller than (or equal to) the second.",
            )

    def config_changes(self, before: TraySettings) -> dict[str, dict[str, object]]:
        """The `update_config` changes from `before` to these settings (None removes a key):
        only what differs, and for the chosen cloud only."""
        self.check()
        other_cloud = _CLOUD_SECTIONS[Cloud.AZURE if self.cloud is Cloud.AWS else Cloud.AWS]
        changes: dict[str, dict[str, object]] = {}
        if self.cloud is not before.cloud:
            changes[_CLOUD_SECTIONS[self.cloud]] = {}  # the section names the cloud
        for field in fields(self):
            if field.name not in _KEYS:
                continue
            section, key, written = _KEYS[field.name]
            value = getattr(self, field.name)
            if section == other_cloud or value == getattr(before, field.name):
                continue
            changes.setdefault(section, {})[key] = written(value)
        return changes


def save_settings(
    path: Path, settings: TraySettings, before: TraySettings, autostart: Autostart
) -> None:
    """Write what changed into the config file (comments kept, backup made) and autostart."""
    changes = settings.config_changes(before)
    if changes:
        update_config(path, changes)
    if settings.start_at_login != before.start_at_login:
        if settings.start_at_login:
            autostart.enable()
        else:
            autostart.disable()
