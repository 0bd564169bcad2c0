"""Azure's error answers become the core's errors, with the exit codes and hints people act on."""

from __future__ import annotations

import pytest

from desktop.core import errors
from desktop.core.provider import CancelToken
from tests.arm_emulator import COLLEAGUE, LAB, ArmEmulator, FakeStaticTokenCredential, set_power
from tests.integration.azure_cli_helpers import make_provider, run_devtray

MY_VM = f"{LAB}/alice-vm"


def test_an_expired_token_exits_3_naming_the_sign_in_command(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.fail("GET", "/virtualmachines", 401, "ExpiredAuthenticationToken", "The token expired.")

    result = run_devtray(["status"], arm, azure_signed_in)

    assert result.code == 3
    assert "devtray sign-in azure" in result.err
    assert "Traceback" not in result.err


def test_forbidden_is_permission_denied(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.fail("GET", "/virtualmachines", 403, "AuthorizationFailed", "No read access to the lab.")

    with pytest.raises(errors.PermissionDenied, match="No read access"):
        make_provider(arm, azure_signed_in).list_my_vms()


def test_a_lab_that_does_not_exist_is_not_found(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.labs.clear()

    with pytest.raises(errors.NotFound, match="was not found"):
        make_provider(arm, azure_signed_in).list_my_vms()


def test_conflict_while_another_operation_runs_is_invalid_state(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.fail("POST", "/alice-vm/stop", 409, "Conflict", "Another operation is in progress.")

    with pytest.raises(errors.InvalidState, match="Another operation is in progress"):
        make_provider(arm, azure_signed_in).stop_vm(MY_VM)


def test_throttling_is_retried_after_the_time_azure_asks_for(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.fail("GET", "/virtualmachines", 429, "TooManyRequests", headers={"Retry-After": "1"})

    vms = make_provider(arm, azure_signed_in, retry_total=1).list_my_vms()

    assert [vm.name for vm in vms] == ["alice-vm"]
    assert len(arm.calls("GET", "/virtualmachines")) >= 2


def test_throttling_that_persists_is_throttled_with_the_wait(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.fail("GET", "/virtualmachines", 429, "TooManyRequests", headers={"Retry-After": "7"})

    with pytest.raises(errors.Throttled, match="asks to wait 7 s"):
        make_provider(arm, azure_signed_in, retry_total=0).list_my_vms()


def test_a_policy_violation_from_azure_says_so(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.lab().policy = None  # the client cannot check; Azure refuses instead
    arm.fail("POST", "/alice-vm/resize", 400, "PolicyViolation", "Size not allowed in this lab.")
    set_power(arm.lab().vms["alice-vm"], "Deallocated")
    provider = make_provider(arm, azure_signed_in)
    plan = provider.plan_resize(MY_VM, "Standard_M128s")

    with pytest.raises(errors.PermissionDenied, match="Not allowed by policy"):
        provider.resize_vm(plan, lambda step, vm: None, CancelToken())


def test_a_failed_operation_surfaces_its_error_code(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    set_power(arm.lab().vms["alice-vm"], "Deallocated")
    arm.operation_errors["start"] = ("AllocationFailed", "No capacity for Standard_A2_v2.")

    result = run_devtray(["start", "--wait"], arm, azure_signed_in)

    assert result.code == 1
    assert "No capacity for Standard_A2_v2" in result.err
    assert "another size" in result.err


def test_a_colleagues_vm_cannot_be_driven_by_id(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    assert arm.lab().vms["bob-vm"]["properties"]["ownerObjectId"] == COLLEAGUE["oid"]

    with pytest.raises(errors.NotFound, match="not yours"):
        make_provider(arm, azure_signed_in).stop_vm(f"{LAB}/bob-vm")
    assert arm.calls("POST", "/bob-vm/stop") == []


def test_a_second_operation_on_a_busy_vm_is_refused_locally(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.operation_polls = 1000  # the stop stays in progress
    provider = make_provider(arm, azure_signed_in)
    stopping = provider.stop_vm(MY_VM)
    assert stopping.state == "stopping"

    with pytest.raises(errors.InvalidState):
        provider.resize_vm(
            provider.plan_resize(MY_VM, "Standard_A4_v2"), lambda step, vm: None, CancelToken()
        )


def test_an_unreadable_schedule_does_not_hide_the_vm(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    arm.fail("POST", "/listApplicableSchedules", 403, "AuthorizationFailed", "No schedule access.")

    vms = make_provider(arm, azure_signed_in).list_my_vms()

    assert [(vm.name, vm.auto_stop) for vm in vms] == [("alice-vm", None)]
