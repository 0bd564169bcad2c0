"""What the composition root hands to the CLI and the tray."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from desktop.core.config import Config
from desktop.core.provider import Provider
from desktop.core.spend_tracker import SpendTracker


@dataclass(frozen=True)
class Services:
    """The built services. `providers` is lazy so commands that need no cloud stay fast."""

    config: Config
    providers: Callable[[], Sequence[Provider]]
    spend: SpendTracker = field(default_factory=SpendTracker.on_this_machine)
