"""Rules every provider applies the same way before it touches a VM."""

from __future__ import annotations

from desktop.core import errors
from desktop.core.model import VmSnapshot, VmState


def ensure_resizable(vm: VmSnapshot, size: str) -> None:
    """Raise unless `vm` may be resized to `size` now: running or stopped, and a new size."""
    if vm.state not in (VmState.RUNNING, VmState.STOPPED):
        raise errors.InvalidState(
            f"{vm.name} is {vm.state}; it can be resized when running or stopped.",
            hint="Wait until the current change finishes, then try again.",
        )
    if size == vm.size:
        raise errors.UsageError(f"{vm.name} already is {size}.")
