"""The tray's Settings window as data: read from the config, written back through update_config."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from desktop.core.autostart import Autostart
from desktop.core.config import AwsConfig, AzureConfig, Config, PollingConfig, update_config
from desktop.core.errors import BadConfig


class Cloud(enum.StrEnum):
    """The cloud whose section Settings… edits (the other section is left as it is)."""

    AWS = "AWS"
    AZURE = "Azure"


@dataclass(frozen=True)
class TraySettings:
    """What Settings… edits. Empty text means "not set" (the key is removed from the file)."""

    cloud: Cloud = Cloud.AWS
    profile: str = ""
    region: str = ""
    owner_tag: str = "Owner"
    azure_subscription: str = ""
    azure_resource_group: str = ""
    azure_lab: str = ""
    azure_cloud: str = AzureConfig.cloud
    fast_seconds: float = PollingConfig.fast_seconds
    slow_seconds: float = PollingConfig.slow_seconds
    start_at_login: bool = False

    @classmethod
    def from_config(cls, config: Config, *, start_at_login: bool) -> TraySettings:
        """The current settings."""
        aws = config.aws or AwsConfig()
        azure = config.azure
        lab = azure.labs[0] if azure is not None and azure.labs else None
        return cls(
            cloud=Cloud.AZURE if azure is not None and config.aws is None else Cloud.AWS,
            profile=aws.profile or "",
            region=aws.region or "",
            owner_tag=aws.owner_tag,
            azure_subscription=lab.subscription if lab else "",
            azure_resource_group=lab.resource_group if lab else "",
            azure_lab=lab.name if lab else "",
            azure_cloud=azure.cloud if azure is not None else AzureConfig.cloud,
            fast_seconds=config.polling.fast_seconds,
            slow_seconds=config.polling.slow_seconds,
            start_at_login=start_at_login,
        )

    def config_changes(self) -> dict[str, dict[str, object]]:
        """The `update_config` changes that store these settings (None removes a key)."""
        if self.fast_seconds > self.slow_seconds:
            raise BadConfig(
                "Polling while a VM changes must not be slower than while it is stable.",
                hint="Make the first number smaller than (or equal to) the second.",
            )
        polling: dict[str, object] = {
            "fast_seconds": self.fast_seconds,
            "slow_seconds": self.slow_seconds,
        }
        if self.cloud is Cloud.AZURE:
            return {"azure": self._azure_changes(), "polling": polling}
        owner_tag = self.owner_tag.strip()
        return {
            "aws": {
                "profile": self.profile.strip() or None,
                "region": self.region.strip() or None,
                "owner_tag": None if owner_tag in ("", AwsConfig.owner_tag) else owner_tag,
            },
            "polling": polling,
        }

    def _azure_changes(self) -> dict[str, object]:
        # The config reader names a missing or malformed key; the default cloud is left
        # unwritten (it may not be given beside a private cloud's arm_endpoint).
        return {
            "subscription": self.azure_subscription.strip() or None,
            "resource_group": self.azure_resource_group.strip() or None,
            "lab": self.azure_lab.strip() or None,
            "cloud": None if self.azure_cloud == AzureConfig.cloud else self.azure_cloud,
        }


def save_settings(path: Path, settings: TraySettings, autostart: Autostart) -> None:
    """Write the settings into the config file (comments kept, backup made) and set autostart."""
    update_config(path, settings.config_changes())
    if settings.start_at_login:
        autostart.enable()
    else:
        autostart.disable()
