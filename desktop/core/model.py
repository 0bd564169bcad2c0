"""Immutable snapshots of the things devtray shows: VMs, their sizes and addresses."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType


class VmState(enum.StrEnum):
    """Normalised VM states; every provider maps its own vocabulary onto these."""

    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    RESIZING = "resizing"
    TERMINATED = "terminated"
    UNKNOWN = "unknown"

    @property
    def is_transition(self) -> bool:
        """True while the VM is on its way from one stable state to another."""
        return self in _TRANSITIONS


_TRANSITIONS = frozenset({VmState.STARTING, VmState.STOPPING, VmState.RESIZING})


class Market(enum.StrEnum):
    """How the cloud sells the VM's compute: at the list price, or from the spot market."""

    ON_DEMAND = "on-demand"
    # Discounted and interruptible: the cloud may take the VM back at two minutes' notice.
    SPOT = "spot"


def _frozen_mapping(value: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class Addresses:
    """Where a VM can be reached; any of these may be missing."""

    public_ip: str | None = None
    public_dns: str | None = None
    private_ip: str | None = None
    private_dns: str | None = None

    def best(self) -> str | None:
        """The address to dial first: public DNS, public IP, then private ones."""
        for candidate in (self.public_dns, self.public_ip, self.private_dns, self.private_ip):
            if candidate:
                return candidate
        return None


@dataclass(frozen=True)
class AutoStop:
    """A stop the cloud itself will carry out (an Azure DevTest Labs shutdown schedule)."""

    at: datetime  # the next stop, timezone-aware, in the schedule's own zone
    time_zone: str  # the zone as the cloud names it, e.g. "W. Europe Standard Time"
    notify_minutes: int | None = None  # the cloud warns this long before, when it warns at all
    scope: str = "lab"  # "vm" when the VM has its own schedule, "lab" for the lab-wide one


@dataclass(frozen=True)
class VmSnapshot:
    """One VM as the cloud described it at `observed_at`."""

    provider: str
    id: str
    name: str
    region: str
    state: VmState
    size: str
    addresses: Addresses = field(default_factory=Addresses)
    launched_at: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=_frozen_mapping)
    zone: str | None = None
    architecture: str | None = None
    platform: str = "linux"
    ssh_user: str | None = None
    observed_at: datetime | None = None
    # SSH's port when it is not 22 (Azure labs with a shared public IP NAT each VM's SSH).
    ssh_port: int | None = None
    auto_stop: AutoStop | None = None
    # When the VM entered `state`, if the cloud says (EC2: launch time, stop reason's time).
    state_since: datetime | None = None
    # Spot (interruptible, discounted, priced from the spot market) or on-demand.
    market: Market = Market.ON_DEMAND

    def __post_init__(self) -> None:
        # Freeze the tag mapping too, so a snapshot can be shared between threads safely.
        object.__setattr__(self, "tags", _frozen_mapping(self.tags))

    @property
    def spot(self) -> bool:
        """True for a spot VM."""
        return self.market is Market.SPOT

    def matches(self, name_or_id: str) -> bool:
        """True if the user's word for a VM names this one (id, or Name, case-insensitively)."""
        return name_or_id == self.id or name_or_id.casefold() == self.name.casefold()


@dataclass(frozen=True)
class VmSize:
    """A size a VM can be resized to."""

    name: str
    vcpus: int | None = None
    memory_gib: float | None = None
    architecture: str | None = None
    hourly_price: float | None = None
    currency: str = "USD"

    def describe(self) -> str:
        """Human text such as `2 vCPU, 8 GiB, $0.0832/h`."""
        parts = []
        if self.vcpus is not None:
            parts.append(f"{self.vcpus} vCPU")
        if self.memory_gib is not None:
            parts.append(f"{self.memory_gib:g} GiB")
        if self.hourly_price is not None:
            parts.append(f"${self.hourly_price:.4f}/h")
        return ", ".join(parts)


class ResizeStep(enum.StrEnum):
    """The steps a resize reports as it goes."""

    CHECKING = "checking"
    STOPPING = "stopping"
    RESIZING = "resizing"
    STARTING = "starting"
    DONE = "done"


@dataclass(frozen=True)
class ResizePlan:
    """What a resize will do, decided before anything is touched."""

    vm: VmSnapshot
    target: VmSize
    current: VmSize | None
    needs_stop: bool
    restart_after: bool
    # How long the whole resize should take, when the provider can tell (the demo can).
    estimated_seconds: float | None = None

    @property
    def price_difference(self) -> float | None:
        """Change in $/h, when both prices are known."""
        if self.current is None or self.current.hourly_price is None:
            return None
        if self.target.hourly_price is None:
            return None
        return self.target.hourly_price - self.current.hourly_price

    def summary(self) -> str:
        """One line a person reads before confirming."""
        text = f"{self.vm.name}: {self.vm.size} -> {self.target.name}"
        if self.needs_stop:
            text += " (stops the VM"
            text += ", then starts it again)" if self.restart_after else ")"
        diff = self.price_difference
        if diff is not None:
            text += f", {'+' if diff >= 0 else '-'}${abs(diff):.4f}/h"
        return text
