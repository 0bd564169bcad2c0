"""The tray's Settings window as data: read from the config, written back through update_config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop.core.autostart import Autostart
from desktop.core.config import AwsConfig, Config, PollingConfig, update_config
from desktop.core.errors import BadConfig


@dataclass(frozen=True)
class TraySettings:
    """What Settings… edits. Empty text means "not set" (the key is removed from the file)."""

    profile: str = ""
    region: str = ""
    owner_tag: str = "Owner"
    fast_seconds: float = PollingConfig.fast_seconds
    slow_seconds: float = PollingConfig.slow_seconds
    start_at_login: bool = False

    @classmethod
    def from_config(cls, config: Config, *, start_at_login: bool) -> TraySettings:
        """The current settings."""
        aws = config.aws or AwsConfig()
        return cls(
            profile=aws.profile or "",
            region=aws.region or "",
            owner_tag=aws.owner_tag,
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
        owner_tag = self.owner_tag.strip()
        return {
            "aws": {
                "profile": self.profile.strip() or None,
                "region": self.region.strip() or None,
                "owner_tag": None if owner_tag in ("", AwsConfig.owner_tag) else owner_tag,
            },
            "polling": {"fast_seconds": self.fast_seconds, "slow_seconds": self.slow_seconds},
        }


def save_settings(path: Path, settings: TraySettings, autostart: Autostart) -> None:
    """Write the settings into the config file (comments kept, backup made) and set autostart."""
    update_config(path, settings.config_changes())
    if settings.start_at_login:
        autostart.enable()
    else:
        autostart.disable()
