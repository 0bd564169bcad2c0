"""How a DevTest Labs VM (the SDK's LabVirtualMachine) reads: its state, where to reach it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from desktop.core.model import Addresses, VmState

_POWER: Mapping[str, VmState] = {
    "running": VmState.RUNNING,
    "starting": VmState.STARTING,
    "stopping": VmState.STOPPING,
    "deallocating": VmState.STOPPING,
    "stopped": VmState.STOPPED,
    "deallocated": VmState.STOPPED,
}
# Stopped from inside the OS: the VM still bills until a platform stop deallocates it.
BILLED_WHILE_STOPPED = "stopped"
# A lab VM does not say its OS disk's size; gallery images' defaults (Azure's, in GiB).
OS_DISK_GIB = {"linux": 30.0, "windows": 127.0}


def reach(vm: Any) -> tuple[Addresses, int | None]:
    """The VM's addresses, and SSH's port when it is not 22 (a lab's shared public IP)."""
    nic = vm.network_interface
    public_dns = vm.fqdn or (nic.dns_name if nic else None) or None
    ssh_port = None
    if nic is not None and nic.ssh_authority and not (nic.public_ip_address or vm.fqdn):
        # A lab with one shared public IP reaches each VM's SSH through a NAT port.
        host, _, port = nic.ssh_authority.rpartition(":")
        if port.isdigit() and host:
            public_dns, ssh_port = host, int(port)
    addresses = Addresses(
        public_ip=(nic.public_ip_address if nic else None) or None,
        public_dns=public_dns,
        private_ip=(nic.private_ip_address if nic else None) or None,
    )
    return addresses, ssh_port


def power_state(vm: Any) -> str:
    """The compute power state (`running`, `deallocated`, ...), lower case; "" when unknown."""
    compute = vm.compute_vm
    for status in (compute.statuses or []) if compute is not None else []:
        code = str(status.code or "")
        if code.casefold().startswith("powerstate/"):
            return code.split("/", 1)[1].casefold()
    return str(vm.last_known_power_state or "").casefold()


def core_state(vm: Any) -> VmState:
    """The core state of a lab VM: provisioning first, then its power state."""
    provisioning = str(vm.provisioning_state or "").casefold()
    if provisioning == "creating":
        return VmState.STARTING
    if provisioning == "deleting":
        return VmState.TERMINATED
    return _POWER.get(power_state(vm), VmState.UNKNOWN)


def policy_sizes(threshold: str | None) -> list[str]:
    """Sizes from a policy threshold: a JSON array, its items sometimes quoted once more."""
    try:
        values = json.loads(threshold or "[]")
    except ValueError:
        values = [part for part in (threshold or "").split(",")]
    if not isinstance(values, list):
        values = [values]
    return [str(value).strip().strip('"') for value in values if str(value).strip().strip('"')]


def disk_sizes(vm: Any, platform: str) -> tuple[str, list[float]]:
    """The VM's storage type ("Standard", "StandardSSD", "Premium") and its disks' sizes in
    GiB, OS disk first (its image default: the lab does not report it), then the data disks."""
    compute = vm.compute_vm
    data = [
        float(disk.disk_size_gi_b)
        for disk in ((compute.data_disks or []) if compute is not None else [])
        if disk.disk_size_gi_b
    ]
    return str(vm.storage_type or "Standard"), [OS_DISK_GIB.get(platform, 30.0), *data]
