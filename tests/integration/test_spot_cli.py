"""Spot VMs in the CLI, against moto's server: listed as spot, with both prices and savings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.core.cost import HOURS_PER_MONTH
from desktop.core.spend_record import default_record_path
from desktop.providers.aws.pricing import PriceTable
from tests.integration.test_cli_aws import devtray
from tests.moto_server import X86_IMAGE, MotoEndpoint, ec2_client, run_instance


def run_spot_instance(name: str, instance_type: str = "t3.large", zone: str = "eu-west-1a") -> str:
    """A persistent spot instance (stop on interruption) tagged as mine, as devtray launches."""
    tags = [{"Key": "Name", "Value": name}, {"Key": "Owner", "Value": "moto"}]
    response = ec2_client().run_instances(
        ImageId=X86_IMAGE,
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        Placement={"AvailabilityZone": zone},
        InstanceMarketOptions={
            "MarketType": "spot",
            "SpotOptions": {
                "SpotInstanceType": "persistent",
                "InstanceInterruptionBehavior": "stop",
            },
        },
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )
    return str(response["Instances"][0]["InstanceId"])


def moto_spot_price(instance_type: str, zone: str) -> float:
    """What moto publishes as the spot price of `instance_type` in `zone`."""
    history = ec2_client().describe_spot_price_history(
        InstanceTypes=[instance_type], ProductDescriptions=["Linux/UNIX"]
    )["SpotPriceHistory"]
    return float(next(e["SpotPrice"] for e in history if e["AvailabilityZone"] == zone))


@pytest.fixture
def aws_config(config_file: Path, moto: MotoEndpoint) -> Path:
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    return config_file


def extras() -> float:
    """The non-compute part of a running moto VM's rate: its 8 GB gp2 disk and public IPv4."""
    table = PriceTable.load()
    return 8 * table.storage["eu-west-1"]["gp2"] / HOURS_PER_MONTH + table.public_ipv4_hourly


def test_a_spot_vm_is_listed_as_spot_with_both_prices(aws_config: Path) -> None:
    spot = run_spot_instance("spotbox")
    plain = run_instance("plainbox", instance_type="t3.large")
    before = datetime.now(UTC)
    result = devtray("status", "--json")
    assert result.returncode == 0, result.stderr
    vms = {vm["id"]: vm for vm in json.loads(result.stdout)}
    on_demand = PriceTable.load().on_demand["eu-west-1"]["t3.large"]

    assert vms[spot]["market"] == "spot"
    assert vms[spot]["hourly_cost"] == pytest.approx(
        moto_spot_price("t3.large", "eu-west-1a") + extras(), abs=1e-6
    )
    assert vms[spot]["on_demand_hourly_cost"] == pytest.approx(on_demand + extras(), abs=1e-6)
    read_at = datetime.fromisoformat(vms[spot]["hourly_cost_read_at"])
    assert before - timedelta(seconds=5) <= read_at <= datetime.now(UTC)

    assert vms[plain]["market"] == "on-demand"
    assert vms[plain]["hourly_cost"] == pytest.approx(on_demand + extras(), abs=1e-6)
    assert vms[plain]["on_demand_hourly_cost"] is None
    assert vms[plain]["spot_saved_month"] is None


def test_cost_says_what_spot_saved_this_month(aws_config: Path) -> None:
    spot = run_spot_instance("spotbox")
    assert devtray("status", "--json").returncode == 0  # records the VM running since launch
    # Move the record's start two hours back: two hours of spot running this month.
    record = default_record_path()
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [entry["vm"] for entry in lines] == [spot]
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    if two_hours_ago.astimezone().month != datetime.now().astimezone().month:
        pytest.skip("the two hours would reach into last month (just after midnight on the 1st)")
    lines[0]["at"] = two_hours_ago.isoformat()
    record.write_text(json.dumps(lines[0]) + "\n")

    result = devtray("cost", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    saved_per_hour = data["on_demand_hourly_cost"] - data["hourly_cost"]
    assert saved_per_hour > 0
    assert data["spot_saved_month"] == pytest.approx(2 * saved_per_hour, rel=0.01)

    text = devtray("cost").stdout
    percent = round(100 * (1 - data["hourly_cost"] / data["on_demand_hourly_cost"]))
    assert f"Spot ${data['hourly_cost']:.4f}/h · saves {percent} % · today" in text
    assert f"Spot saved ${data['spot_saved_month']:.2f} this month" in text
    assert "Spot price read at " in text
