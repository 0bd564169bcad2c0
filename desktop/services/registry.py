"""What the composition root hands to the CLI and the tray: the built services."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from desktop.core.config import Config
from desktop.core.provider import Provider
from desktop.core.spend_tracker import SpendTracker

if TYPE_CHECKING:
    # Loaded on first use: most commands run no day.
    from desktop.remote.ssh_config import SshConfigWriter
    from desktop.remote.supervisor import Supervisor
    from desktop.remote.vm_link import VmLink
    from desktop.services.config import ConfigSource
    from desktop.services.day import DayService


def build_day(
    config: ConfigSource,
    providers: Callable[[], Sequence[Provider]],
    spend: SpendTracker | None,
    supervisor: Supervisor,
    writer: SshConfigWriter | None = None,
    link: VmLink | None = None,
) -> DayService:
    """The day and the connect and sync services under it, over one supervisor (the one
    owner of the day's child processes); `writer`: another SSH block than devtray's in
    ~/.ssh/config (the demo's own); `link`: another way to the VMs than SSH (the demo's
    simulated VM)."""
    from desktop.services.connect import ConnectService
    from desktop.services.day import DayService
    from desktop.services.day_store import DayStore
    from desktop.services.sync import SyncService

    connect = ConnectService(config, supervisor, writer=writer, link=link)
    sync = SyncService(connect)
    return DayService(
        providers=providers,
        config=config,
        connect=connect,
        sync=sync,
        store=DayStore(),
        spend=spend,
    )


def _day_for(services: Services) -> DayService:
    from desktop.remote.supervisor import Supervisor, default_log_dir
    from desktop.services.config import ConfigSource

    woken: list[DayService] = []

    def on_wake(seconds: float) -> None:
        for day in woken:
            day.sync.on_wake(seconds)

    supervisor = Supervisor(default_log_dir(), on_wake=on_wake)
    day = build_day(ConfigSource(services.config), services.providers, services.spend, supervisor)
    woken.append(day)
    return day


@dataclass(frozen=True)
class Services:
    """The built services. `providers` is lazy so commands that need no cloud stay fast; so is
    the day (its modules load only for the commands that run one)."""

    config: Config
    providers: Callable[[], Sequence[Provider]]
    spend: SpendTracker = field(default_factory=SpendTracker.on_this_machine)
    build_day: Callable[[Services], DayService] = _day_for

    @cached_property
    def day(self) -> DayService:
        """The day service (built on first use)."""
        return self.build_day(self)
