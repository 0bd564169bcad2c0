"""Azure DevTest Labs against the HTTPS ARM emulator: status, start, stop, resize, claim."""

from __future__ import annotations

import json
import re

from desktop.cli.output import notice_json, vm_json
from desktop.core.model import VmSnapshot, VmState
from tests.arm_emulator import LAB, ME, ArmEmulator, FakeStaticTokenCredential, set_power, vm_body
from tests.integration.azure_cli_helpers import run_devtray

MY_VM = f"{LAB}/alice-vm"
LIFECYCLE = ("start", "stop", "resize", "claim")


def lifecycle_calls(arm: ArmEmulator, vm: str = "alice-vm") -> list[str]:
    """The lifecycle actions (start, stop, resize, claim) posted for a VM, in order."""
    actions = [path.rsplit("/", 1)[1] for path in arm.calls("POST", f"/virtualmachines/{vm}/")]
    return [action for action in actions if action in LIFECYCLE]


def test_status_json_lists_my_lab_vm_not_a_colleagues(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    result = run_devtray(["status", "--json"], arm, azure_signed_in)

    assert result.code == 0, result.err
    vms = json.loads(result.out)
    assert [vm["id"] for vm in vms] == [MY_VM]
    vm = vms[0]
    aws_shaped = {
        **vm_json(VmSnapshot("aws", "i-1", "x", "eu-west-1", VmState.RUNNING, "t3.large")),
        **notice_json(None),  # every VM's entry has the spot-notice keys (null off spot)
    }
    assert set(vm) == set(aws_shaped)
    assert vm["provider"] == "azure"
    assert (vm["name"], vm["region"], vm["state"], vm["size"]) == (
        "alice-vm",
        "westeurope",
        "running",
        "Standard_A2_v2",
    )
    assert vm["public_dns"] == "alice-vm.westeurope.cloudapp.azure.com"
    assert vm["public_ip"] == "20.1.2.3"
    assert vm["ssh_user"] == "azureuser"
    # The lab's LabVmsShutdown at 19:00 "W. Europe Standard Time" is Europe/Berlin wall time.
    stop_at = vm["auto_stop_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT19:00:00\+0[12]:00", stop_at), stop_at
    assert vm["auto_stop_time_zone"] == "W. Europe Standard Time"
    # Tokens were asked for the emulated Resource Manager's own scope.
    assert azure_signed_in.scopes and set(azure_signed_in.scopes) == {f"{arm.base_url}/.default"}


def test_status_table_shows_when_the_lab_stops_the_vm(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    result = run_devtray(["status"], arm, azure_signed_in)

    assert result.code == 0, result.err
    assert "AUTO-STOP" in result.out
    assert re.search(
        r"stops at (\w{3} )?\d\d:\d\d \(in (\d+ d )?(\d+ h ?)?(\d+ min)?\)", result.out
    )
    assert "bob-vm" not in result.out


def test_start_follows_the_long_running_operation(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    set_power(arm.lab().vms["alice-vm"], "Deallocated")

    result = run_devtray(["start", "alice-vm", "--wait"], arm, azure_signed_in)

    assert result.code == 0, result.err
    assert "alice-vm is running." in result.out
    assert arm.calls("POST", "/virtualmachines/alice-vm/start")
    # Progress came from polling the Azure-AsyncOperation until it succeeded.
    assert len(arm.calls("GET", "/operations/")) >= arm.operation_polls + 1
    assert arm.lab().vms["alice-vm"]["properties"]["lastKnownPowerState"] == "Running"


def test_stop_is_a_platform_stop_that_deallocates(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    result = run_devtray(["stop", "--wait"], arm, azure_signed_in)

    assert result.code == 0, result.err
    assert "alice-vm is stopped." in result.out
    assert arm.calls("POST", "/virtualmachines/alice-vm/stop")
    assert arm.lab().vms["alice-vm"]["properties"]["lastKnownPowerState"] == "Deallocated"


def test_a_vm_stopped_from_inside_the_os_is_deallocated_by_stop(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    set_power(arm.lab().vms["alice-vm"], "Stopped")  # shut down in the OS: still billed

    result = run_devtray(["stop", "--wait"], arm, azure_signed_in)

    assert result.code == 0, result.err
    assert arm.calls("POST", "/virtualmachines/alice-vm/stop")
    assert arm.lab().vms["alice-vm"]["properties"]["lastKnownPowerState"] == "Deallocated"


def test_resize_stops_resizes_and_starts_again_through_their_operations(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    result = run_devtray(["resize", "Standard_A4_v2", "alice-vm", "--yes"], arm, azure_signed_in)

    assert result.code == 0, result.err
    assert "alice-vm is Standard_A4_v2, running." in result.out
    assert lifecycle_calls(arm) == ["stop", "resize", "start"]
    vm = arm.lab().vms["alice-vm"]["properties"]
    assert (vm["size"], vm["lastKnownPowerState"]) == ("Standard_A4_v2", "Running")


def test_resize_outside_the_lab_policy_is_refused_before_anything_stops(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    result = run_devtray(["resize", "Standard_E64_v3", "--yes"], arm, azure_signed_in)

    assert result.code == 2
    assert "not allowed by lab devlab-westeurope's size policy" in result.err
    assert "Standard_A4_v2" in result.err  # the allowed sizes are named
    assert lifecycle_calls(arm) == []
    assert arm.lab().vms["alice-vm"]["properties"]["lastKnownPowerState"] == "Running"


def test_sizes_lists_the_lab_policy(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    result = run_devtray(["sizes"], arm, azure_signed_in)

    assert result.code == 0, result.err
    assert "* Standard_A2_v2" in result.out
    assert "Standard_D4s_v3" in result.out


def test_claim_lists_the_pool_then_claims_a_vm(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    listed = run_devtray(["claim"], arm, azure_signed_in)
    assert listed.code == 0, listed.err
    assert f"{LAB}/pool-vm-1" in listed.out
    assert "alice-vm" not in listed.out and "bob-vm" not in listed.out

    claimed = run_devtray(["claim", "pool-vm-1"], arm, azure_signed_in)

    assert claimed.code == 0, claimed.err
    assert "Claimed pool-vm-1" in claimed.out
    assert "devtray start pool-vm-1" in claimed.out
    status = json.loads(run_devtray(["status", "--json"], arm, azure_signed_in).out)
    assert [vm["name"] for vm in status] == ["alice-vm", "pool-vm-1"]


def test_claim_any_takes_whatever_the_lab_offers(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    result = run_devtray(["claim", "--any"], arm, azure_signed_in)

    assert result.code == 0, result.err
    assert "Claimed pool-vm-1" in result.out
    assert arm.calls("POST", f"/labs/{LAB}/claimAnyVm")


def test_resizing_a_stopped_vm_leaves_it_stopped(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    set_power(arm.lab().vms["alice-vm"], "Deallocated")

    result = run_devtray(["resize", "Standard_D4s_v3"], arm, azure_signed_in)

    assert result.code == 0, result.err
    assert "alice-vm is Standard_D4s_v3, stopped." in result.out
    assert lifecycle_calls(arm) == ["resize"]


def test_no_capacity_after_a_resize_starts_the_old_size_again(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.operation_errors["start"] = ("AllocationFailed", "No Standard_A4_v2 left in the region.")

    result = run_devtray(["resize", "Standard_A4_v2", "--yes"], arm, azure_signed_in)

    assert result.code == 1
    assert "was started again as Standard_A2_v2" in result.err
    assert lifecycle_calls(arm) == ["stop", "resize", "start", "resize", "start"]
    vm = arm.lab().vms["alice-vm"]["properties"]
    assert (vm["size"], vm["lastKnownPowerState"]) == ("Standard_A2_v2", "Running")


def test_watching_a_start_reads_the_schedule_once(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    set_power(arm.lab().vms["alice-vm"], "Deallocated")

    assert run_devtray(["start", "--wait"], arm, azure_signed_in).code == 0

    assert len(arm.calls("POST", "/listApplicableSchedules")) == 1
    assert len(arm.calls("GET", "/virtualmachines/alice-vm")) >= 2  # refreshed while waiting


def test_without_a_vm_status_points_to_claim(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    del arm.lab().vms["alice-vm"]

    result = run_devtray(["status"], arm, azure_signed_in)

    assert result.code == 0, result.err
    assert "`devtray claim`" in result.out


def test_ssh_config_uses_the_fqdn_user_and_a_shared_ip_port(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.lab().vms["alice-shared"] = vm_body(
        "alice-shared",
        owner=ME,
        ssh_authority="devlab123.westeurope.cloudapp.azure.com:50022",
        user_name="alice",
    )

    result = run_devtray(["ssh-config", "--dry-run"], arm, azure_signed_in)

    assert result.code == 0, result.err
    blocks = result.out.split("Host ")
    direct = next(block for block in blocks if block.startswith("alice-vm.devtray"))
    shared = next(block for block in blocks if block.startswith("alice-shared.devtray"))
    assert "HostName alice-vm.westeurope.cloudapp.azure.com" in direct
    assert "User azureuser" in direct and "Port 22" in direct
    assert "HostName devlab123.westeurope.cloudapp.azure.com" in shared
    assert "User alice" in shared and "Port 50022" in shared


def test_doctor_finds_my_lab_vm(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    result = run_devtray(["doctor"], arm, azure_signed_in)

    assert "azure sign-in" in result.out and "alice@contoso.com" in result.out
    assert "1 found in lab devlab-westeurope: alice-vm" in result.out


def test_idle_agent_is_refused_on_azure_where_an_in_os_shutdown_keeps_billing(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    result = run_devtray(["agent", "install"], arm, azure_signed_in)
    assert result.code == 1
    assert "A shutdown from inside this VM does not deallocate it" in result.err
    assert "use the cloud's own auto-shutdown schedule instead" in result.err
