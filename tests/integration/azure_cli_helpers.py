"""Running `devtray` against the ARM emulator, with the fake credential at the sign-in boundary."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from desktop.cli.main import main
from desktop.core.config import load_config
from desktop.providers.azure.labs import DevTestLabsProvider
from desktop.services.registry import Services
from tests.arm_emulator import ArmEmulator


def make_provider(
    arm: ArmEmulator, credential: Any, *, retry_total: int = 1
) -> DevTestLabsProvider:
    """The provider the composition root would build, with a test credential and CA."""
    return DevTestLabsProvider.from_config(
        load_config(),
        credential=credential,
        connection_verify=str(arm.ca_path),
        retry_total=retry_total,
    )


@dataclass(frozen=True)
class Result:
    """What one `devtray` run printed and returned."""

    code: int
    out: str
    err: str


def run_devtray(argv: list[str], arm: ArmEmulator, credential: Any, retry_total: int = 1) -> Result:
    """Run the real CLI with services built like the composition root's."""

    def load_services() -> Services:
        config = load_config()
        provider = make_provider(arm, credential, retry_total=retry_total)
        return Services(config=config, providers=lambda: [provider])

    out, err = io.StringIO(), io.StringIO()
    code = main(argv, load_services, out=out, err=err)
    return Result(code, out.getvalue(), err.getvalue())
