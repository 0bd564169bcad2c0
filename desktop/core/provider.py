"""The one protocol every cloud adapter implements (AWS, Azure, demo).

It speaks in core snapshots and core errors only; nothing cloud-shaped leaks through.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from desktop.core.model import ResizePlan, ResizeStep, VmSize, VmSnapshot

ProgressCallback = Callable[[ResizeStep, VmSnapshot | None], None]


class CancelToken:
    """Set by the user (Ctrl-C, a Cancel button) to stop a long operation between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the operation to stop at the next opportunity."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called."""
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; returns True early if cancelled."""
        return self._event.wait(seconds)


class Provider(Protocol):
    """A cloud in which the signed-in person owns some VMs."""

    @property
    def name(self) -> str:
        """Short id used in output and config: `aws`, `azure`, `demo`."""
        ...

    def identity(self) -> str:
        """Who the signed-in person is to this cloud (their owner name)."""
        ...

    def list_my_vms(self) -> list[VmSnapshot]:
        """Every VM that belongs to the signed-in person."""
        ...

    def refresh(self, vm_id: str) -> VmSnapshot:
        """A fresh snapshot of one VM."""
        ...

    def start_vm(self, vm_id: str) -> VmSnapshot:
        """Ask the cloud to start the VM; returns without waiting for it to run."""
        ...

    def stop_vm(self, vm_id: str) -> VmSnapshot:
        """Ask the cloud to stop (and deallocate) the VM; returns without waiting."""
        ...

    def list_sizes(self, vm_id: str) -> list[VmSize]:
        """The sizes this VM may be resized to."""
        ...

    def plan_resize(self, vm_id: str, size: str) -> ResizePlan:
        """Check a resize without touching anything; raises if the size is not allowed."""
        ...

    def resize_vm(
        self, plan: ResizePlan, progress: ProgressCallback, cancel: CancelToken
    ) -> VmSnapshot:
        """Carry out a checked plan (stop, change, start again as needed)."""
        ...


@runtime_checkable
class VmPool(Protocol):
    """A provider that also keeps VMs anyone may claim (Azure DevTest Labs' claimable VMs)."""

    @property
    def name(self) -> str:
        """Short id used in output and config."""
        ...

    def list_claimable_vms(self) -> list[VmSnapshot]:
        """VMs without an owner that the signed-in person may claim."""
        ...

    def claim_vm(self, vm_id: str | None, pool: str | None, cancel: CancelToken) -> VmSnapshot:
        """Claim the VM `vm_id`, or any VM of `pool` (a lab); returns it, now mine."""
        ...


@runtime_checkable
class ConsoleOutputSource(Protocol):
    """Optional: a provider that shows what a VM printed on its console at boot.

    cloud-init prints the VM's SSH host key fingerprints there, which lets devtray check the
    key a VM offers before trusting it.
    """

    def console_output(self, vm_id: str) -> str | None:
        """The VM's console text, or None when there is none (yet)."""
        ...
