"""Billed figures for a lab VM from the DevTest Labs costs API (the HTTPS ARM emulator)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from desktop.core.billed import BilledCosts, BilledScope, BilledUnavailable
from tests.arm_emulator import ArmEmulator, FakeStaticTokenCredential, lab_cost, resource_cost
from tests.integration.azure_cli_helpers import make_provider, run_devtray

VM_ID = "devlab-westeurope/alice-vm"


@pytest.fixture(autouse=True)
def utc_laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The laptop's month is the billing month (UTC)."""
    monkeypatch.setenv("TZ", "UTC")


def report(arm: ArmEmulator, alice: float = 41.2) -> date:
    """This month's cost report: days reported through yesterday, projected after; its last
    reported day."""
    today = datetime.now(UTC).date()
    first = today.replace(day=1)
    through = max(first, today - timedelta(days=1))
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    days = [
        (f"{day}", 3.1, "Reported" if day <= through else "Projected")
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
    ]
    arm.lab().costs = lab_cost(
        f"{first}",
        f"{last}",
        days,
        [resource_cost("alice-vm", alice), resource_cost("bob-vm", 30.0, "bob@contoso.com")],
    )
    return through


def test_status_json_and_cost_show_the_labs_billed_month_for_my_vm(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    through = report(arm)

    status = run_devtray(["status", "--json"], arm, azure_signed_in)

    assert status.code == 0, status.err
    vm = json.loads(status.out)[0]
    assert vm["cost_month_billed"] == 41.2  # alice-vm's entry, not the lab's or bob's
    assert vm["billed_through"] == through.isoformat()
    assert (vm["billed_source"], vm["billed_scope"]) == ("Azure DevTest Labs costs", "vm")
    assert vm["billed_vms"] == [VM_ID]
    assert vm["billed_currency"] == "USD" and vm["billed_unavailable"] is None
    assert vm["cost_basis"] == "estimate"  # devtray's own figures stay labelled as such

    cost = run_devtray(["cost", VM_ID], arm, azure_signed_in)

    assert cost.code == 0, cost.err
    assert f"This month: $41.20 billed to {through:%d %b} + $" in cost.out


def test_a_report_read_once_serves_every_vm_of_the_lab_for_an_hour(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    report(arm, alice=12.5)
    provider = make_provider(arm, azure_signed_in)
    vm = provider.refresh(VM_ID)

    first, again = provider.billed_costs(vm), provider.billed_costs(vm)

    assert isinstance(first, BilledCosts) and first == again
    assert (first.month_amount, first.scope) == (12.5, BilledScope.VM)
    assert first.covers_only(VM_ID)
    assert len(arm.calls("GET", "/costs/targetcost")) == 1


def test_no_permission_on_the_labs_costs_says_why_and_status_still_works(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    report(arm)
    arm.fail("GET", "/costs/targetcost", 403, "AuthorizationFailed", "no access to costs")

    status = run_devtray(["status", "--json"], arm, azure_signed_in)

    assert status.code == 0, status.err
    vm = json.loads(status.out)[0]
    assert vm["cost_month_billed"] is None
    assert "may not read its costs (ask its owner)" in vm["billed_unavailable"]


def test_a_vm_missing_from_the_report_has_no_billed_figure(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    report(arm)
    arm.lab().costs["properties"]["resourceCosts"] = []  # type: ignore[index]
    provider = make_provider(arm, azure_signed_in)

    answer = provider.billed_costs(provider.refresh(VM_ID))

    assert isinstance(answer, BilledUnavailable)
    assert "has no alice-vm yet" in answer.describe()
