"""Billed figures from Cost Explorer on the moto server: `devtray cost` and `status --json`.

moto's Cost Explorer answers GetCostAndUsage with results queued through its own API
(`/moto-api/static/ce/cost-and-usage-results`); with nothing queued it answers with no days,
which is what an account whose owner tag is not an active cost allocation tag gets.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from desktop.core.localtime import local_zone
from desktop.providers.aws.billing import SETTLED_AFTER_DAYS, billed_window, default_cache_path
from tests.integration.test_cost_cli import devtray
from tests.moto_server import CALLER, MotoEndpoint, run_instance


def queue_cost_explorer(moto: MotoEndpoint, start: date, amounts: list[float]) -> None:
    """Queue one GetCostAndUsage answer: one day per amount from `start`."""
    results = [
        {
            "TimePeriod": {
                "Start": (start + timedelta(days=i)).isoformat(),
                "End": (start + timedelta(days=i + 1)).isoformat(),
            },
            "Total": {"UnblendedCost": {"Amount": str(amount), "Unit": "USD"}},
            "Groups": [],
            "Estimated": True,
        }
        for i, amount in enumerate(amounts)
    ]
    body = json.dumps({"results": [{"ResultsByTime": results}]}).encode()
    request = urllib.request.Request(
        f"{moto.url}/moto-api/static/ce/cost-and-usage-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


@pytest.fixture
def aws_config(config_file: Path, moto: MotoEndpoint) -> Path:
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    return config_file


def queue_month(moto: MotoEndpoint, amount_per_day: float) -> tuple[date, float | None]:
    """Queue a bill of `amount_per_day` for every day devtray asks about (today's window).

    Returns the last billed day and this month's billed amount (None on the month's first
    days, before any of it is billed).
    """
    today = datetime.now(UTC).date()
    start, end = billed_window(today)
    queue_cost_explorer(moto, start, [amount_per_day] * (end - start).days)
    through = today - timedelta(days=SETTLED_AFTER_DAYS)
    first = datetime.now(UTC).astimezone(local_zone()).date().replace(day=1)
    if through < first:
        return through, None
    return through, amount_per_day * ((through - first).days + 1)


def test_cost_shows_the_month_billed_through_a_day_plus_the_estimate_since(
    aws_config: Path, moto: MotoEndpoint
) -> None:
    vm_id = run_instance("dev", instance_type="t3.large")
    through, billed = queue_month(moto, 2.5)

    code, out, err = devtray("status", "--json")
    assert code == 0, err
    vm = json.loads(out)[0]
    assert vm["id"] == vm_id
    assert vm["cost_basis"] == "estimate"  # cost_today / cost_month stay estimates
    if billed is None:  # the 1st or 2nd of the month: nothing of it is billed yet
        assert vm["cost_month_billed"] is None
        assert vm["billed_unavailable"].startswith("nothing billed this month yet")
        return
    assert vm["cost_month_billed"] == pytest.approx(billed)
    assert vm["billed_through"] == through.isoformat()
    assert vm["cost_month_estimate_since"] == pytest.approx(0.0, abs=0.01)
    assert vm["billed_source"] == "AWS Cost Explorer"
    assert vm["billed_scope"] == "owner"
    assert vm["billed_vms"] == [vm_id]
    assert vm["billed_unavailable"] is None

    code, out, err = devtray("cost", "--days", "4")
    assert code == 0, err
    assert f"This month: ${billed:,.2f} billed to {through:%d %b} + $0.00 estimate since" in out
    rows = [
        line.split()
        for line in out.splitlines()
        if line[:3] in {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    ]
    assert [row[-1] for row in rows] == ["billed", "billed", "estimate", "estimate"]
    assert rows[0][3] == "$2.50"

    # Both commands, and the tray, share one cached answer: one request went out.
    saved = json.loads(default_cache_path().read_text())
    assert len(saved["requests"]) == 1
    assert list(saved["answers"]) == [f"Owner={CALLER}"]


def test_a_bill_for_two_vms_is_not_put_on_one_vms_line(
    aws_config: Path, moto: MotoEndpoint
) -> None:
    first = run_instance("dev")
    second = run_instance("gpu")
    _through, billed = queue_month(moto, 4.0)
    if billed is None:
        pytest.skip("nothing of this month is billed on its first two days")
    code, out, err = devtray("cost", "dev", "--days", "3", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["billed_vms"] == sorted([first, second])
    # The chart's days stay this VM's estimates: the bill is both VMs'.
    assert {day["basis"] for day in data["days"]} == {"estimate"}
    code, out, err = devtray("cost", "dev")
    assert code == 0, err
    assert f"(all 2 VMs: EC2 and VPC costs tagged Owner={CALLER})" in out


def test_without_billed_costs_cost_says_why_once(aws_config: Path) -> None:
    run_instance("dev")
    code, out, err = devtray("cost")
    assert code == 0, err
    assert "This month: $0.00 (estimate" in out
    assert out.count("Billed figures unavailable") == 1
    assert (
        "Billed figures unavailable (AWS Cost Explorer): no costs carry the tag Owner: "
        "activate the cost allocation tag 'Owner' in Billing (it applies within 24 h)."
    ) in out
    code, out, err = devtray("status", "--json")
    assert json.loads(out)[0]["billed_unavailable"].startswith("billed figures unavailable")


def test_cost_explorer_can_be_turned_off(config_file: Path, moto: MotoEndpoint) -> None:
    config_file.write_text('[aws]\nregion = "eu-west-1"\ncost_explorer = false\n')
    run_instance("dev")
    code, out, err = devtray("status", "--json")
    assert code == 0, err
    vm = json.loads(out)[0]
    assert vm["cost_month_billed"] is None
    assert vm["billed_unavailable"] == (
        "billed figures unavailable (AWS Cost Explorer): turned off ([aws] cost_explorer = false)"
    )
    assert not default_cache_path().exists()
