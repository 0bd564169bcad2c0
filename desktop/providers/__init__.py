"""Cloud adapters behind the core's Provider protocol. SDKs are imported lazily."""

from __future__ import annotations

from desktop.core.config import Config
from desktop.core.provider import Provider


def build_providers(config: Config) -> list[Provider]:
    """One provider for each cloud the config uses (AWS's default chain when there is none)."""
    providers: list[Provider] = []
    for name in config.providers:
        if name == "aws":
            from desktop.providers.aws.ec2 import Ec2Provider

            providers.append(Ec2Provider.from_config(config))
        elif name == "azure":
            from desktop.providers.azure.labs import DevTestLabsProvider

            providers.append(DevTestLabsProvider.from_config(config))
    return providers
