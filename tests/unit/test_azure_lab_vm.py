"""Reading lab VMs (SDK models): state from compute status or last known power, reach, policy."""

from __future__ import annotations

import json

from azure.mgmt.devtestlabs.models import (
    ComputeVmInstanceViewStatus,
    ComputeVmProperties,
    LabVirtualMachine,
    NetworkInterfaceProperties,
)

from desktop.core.model import VmState
from desktop.providers.azure.lab_vm import core_state, policy_sizes, reach


def lab_vm(**values: object) -> LabVirtualMachine:
    model = LabVirtualMachine(**values)  # type: ignore[arg-type]
    return model


def test_the_compute_power_state_wins_over_the_last_known_one() -> None:
    vm = lab_vm()
    # Both are read-only on the model (the service fills them); the last known one lags behind.
    vm.compute_vm = ComputeVmProperties(
        statuses=[ComputeVmInstanceViewStatus(code="PowerState/deallocating")]
    )
    vm.last_known_power_state = "Running"

    assert core_state(vm) is VmState.STOPPING


def test_power_states_map_to_core_states() -> None:
    states = {}
    for power in ("Running", "Starting", "Stopped", "Deallocated", "Hibernated", None):
        vm = lab_vm()
        vm.last_known_power_state = power
        states[power] = core_state(vm)

    assert states == {
        "Running": VmState.RUNNING,
        "Starting": VmState.STARTING,
        "Stopped": VmState.STOPPED,
        "Deallocated": VmState.STOPPED,
        "Hibernated": VmState.UNKNOWN,
        None: VmState.UNKNOWN,
    }


def test_a_shared_public_ip_reaches_ssh_through_its_nat_port() -> None:
    shared = lab_vm(
        network_interface=NetworkInterfaceProperties(
            private_ip_address="10.0.0.5", ssh_authority="lab1.westeurope.cloudapp.azure.com:50022"
        )
    )
    own = lab_vm(network_interface=NetworkInterfaceProperties(public_ip_address="20.1.2.3"))

    addresses, port = reach(shared)
    assert (addresses.public_dns, addresses.private_ip, port) == (
        "lab1.westeurope.cloudapp.azure.com",
        "10.0.0.5",
        50022,
    )
    assert reach(own)[0].public_ip == "20.1.2.3" and reach(own)[1] is None


def test_policy_thresholds_as_the_portal_and_the_cli_write_them() -> None:
    assert policy_sizes(json.dumps(["Standard_B2s", "Standard_D2s_v3"])) == [
        "Standard_B2s",
        "Standard_D2s_v3",
    ]
    assert policy_sizes(json.dumps(['"Standard_B2s"', '"Standard_D2s_v3"'])) == [
        "Standard_B2s",
        "Standard_D2s_v3",
    ]
    assert policy_sizes(None) == []
