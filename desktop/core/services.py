"""What the composition root hands to the CLI and the tray."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from desktop.core.config import Config
from desktop.core.provider import Provider


@dataclass(frozen=True)
class Services:
    """The built services. `providers` is lazy so commands that need no cloud stay fast."""

    config: Config
    providers: Callable[[], Sequence[Provider]]
