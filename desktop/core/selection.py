"""Picking the VM a person means from what they typed."""

from __future__ import annotations

from collections.abc import Sequence

from desktop.core.errors import NotFound, UsageError
from desktop.core.model import VmSnapshot


def choose_vm(vms: Sequence[VmSnapshot], name_or_id: str | None) -> VmSnapshot:
    """The VM named by id or Name; with exactly one VM, the name may be left out."""
    if not vms:
        raise NotFound(
            "No VM of yours was found.",
            hint="Check the owner tag and region in your config, then run `devtray doctor`.",
        )
    choices = ", ".join(f"{vm.name} ({vm.id})" for vm in vms)
    if name_or_id is None:
        if len(vms) == 1:
            return vms[0]
        raise UsageError(f"You have {len(vms)} VMs; name one: {choices}")
    matching = [vm for vm in vms if vm.matches(name_or_id)]
    if len(matching) == 1:
        return matching[0]
    if not matching:
        # A name that matches nothing is a usage error, like an unknown choice on the command line.
        raise UsageError(f"No VM of yours is called {name_or_id!r}. Your VMs: {choices}")
    ids = ", ".join(vm.id for vm in matching)
    raise UsageError(f"{name_or_id!r} names {len(matching)} VMs; use an id: {ids}")
