"""Rules every provider applies the same way before it touches a VM."""

from __future__ import annotations

import enum

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


class Transition(enum.Enum):
    """A state change a person asks for: (verb, the state it starts from, states meaning done)."""

    START = ("started", VmState.STOPPED, frozenset({VmState.RUNNING, VmState.STARTING}))
    STOP = ("stopped", VmState.RUNNING, frozenset({VmState.STOPPED, VmState.STOPPING}))

    def __init__(self, verb: str, source: VmState, reached: frozenset[VmState]) -> None:
        self.verb = verb
        self.source = source
        self.reached = reached


def needs_transition(vm: VmSnapshot, transition: Transition) -> bool:
    """False when the VM already is (or is on its way) where asked; True when the request
    should be sent; InvalidState when it cannot be sent in the VM's current state."""
    if vm.state in transition.reached:
        return False
    if vm.state is not transition.source:
        raise errors.InvalidState(
            f"{vm.name} is {vm.state}; it can be {transition.verb} once it is {transition.source}.",
            hint="Wait a moment and try again.",
        )
    return True
