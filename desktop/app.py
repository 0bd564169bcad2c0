"""Composition root: builds the services once and hands them to the CLI (or the tray)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from desktop.core.config import load_config
from desktop.core.provider import Provider
from desktop.core.services import Services


def build_services() -> Services:
    """Load the config and prepare (lazily) the providers it names."""
    config = load_config()
    built: list[Sequence[Provider]] = []

    def providers() -> Sequence[Provider]:
        # Cloud SDKs load here, on first use, not at start-up.
        if not built:
            from desktop.providers import build_providers

            built.append(build_providers(config))
        return built[0]

    return Services(config=config, providers=providers)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `devtray` and `python -m desktop`."""
    from desktop.cli import main as cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    return cli_main(args, build_services)
