"""Pricing a moto VM end to end: disks, addresses, shutdown behaviour, `status --json` costs."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from desktop.app import build_services
from desktop.cli.main import main
from desktop.core.autostop import InOsShutdown, ShutdownEffect
from desktop.core.config import AwsConfig, Config
from desktop.core.cost import HOURS_PER_MONTH, CostSource
from desktop.core.model import VmState
from desktop.core.spend_record import SpendRecord
from desktop.providers.aws.ec2 import Ec2Provider
from desktop.providers.aws.pricing import AwsPrices, PriceTable
from tests.moto_server import X86_IMAGE, MotoEndpoint, ec2_client, run_instance

TABLE = PriceTable.load()


class _NoPricingApi:
    """Boundary fake: moto has no Pricing API, so the price book falls back to its table."""

    def get_products(self, **_kwargs: Any) -> Any:
        from botocore.exceptions import EndpointConnectionError

        raise EndpointConnectionError(endpoint_url="https://api.pricing.us-east-1.amazonaws.com")


def run_doomed_instance(name: str) -> str:
    """A moto instance that a shutdown from inside would terminate; returns its id."""
    return str(
        ec2_client().run_instances(
            ImageId=X86_IMAGE,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            InstanceInitiatedShutdownBehavior="terminate",
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": "Owner", "Value": "moto"}, {"Key": "Name", "Value": name}],
                }
            ],
        )["Instances"][0]["InstanceId"]
    )


def provider(tmp_path: Path) -> Ec2Provider:
    book = AwsPrices(
        lambda: _NoPricingApi(),
        Ec2Provider.from_config(Config(aws=AwsConfig(region="eu-west-1"))).calls,
        cache_path=tmp_path / "prices.json",
    )
    built = Ec2Provider.from_config(Config(aws=AwsConfig(region="eu-west-1")))
    built.price_book = book
    built.prices = book.lookup
    return built


def test_price_sheet_of_a_moto_vm(moto: MotoEndpoint, tmp_path: Path) -> None:
    vm_id = run_instance("dev", instance_type="t3.large")
    aws = provider(tmp_path)
    assert isinstance(aws, CostSource)
    vm = aws.refresh(vm_id)
    sheet = aws.price_sheet(vm)
    volumes = ec2_client().describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [vm_id]}]
    )["Volumes"]
    disk_gb = sum(v["Size"] for v in volumes)
    assert disk_gb > 0
    assert sheet.disk_gb == disk_gb
    assert sheet.compute_hourly == TABLE.on_demand["eu-west-1"]["t3.large"]
    assert sheet.provenance == "on-demand, from devtray's offline price table"
    assert sheet.public_ipv4_running == (1 if vm.addresses.public_ip else 0)
    assert sheet.public_ipv4_stopped == 0
    rates = sheet.rates()
    assert rates.stopped == pytest.approx(disk_gb * sheet.disk_gb_month / HOURS_PER_MONTH)  # type: ignore[operator]
    # An Elastic IP keeps billing while the VM is stopped.
    allocation = ec2_client().allocate_address(Domain="vpc")["AllocationId"]
    ec2_client().associate_address(AllocationId=allocation, InstanceId=vm_id)
    with_eip = aws.price_sheet(aws.refresh(vm_id))
    assert with_eip.public_ipv4_stopped == 1
    assert with_eip.rates().stopped == pytest.approx(rates.stopped + TABLE.public_ipv4_hourly)  # type: ignore[operator]


def test_state_since_dates_starts_and_stops(moto: MotoEndpoint, tmp_path: Path) -> None:
    vm_id = run_instance("dev")
    aws = provider(tmp_path)
    running = aws.refresh(vm_id)
    assert running.state_since == running.launched_at
    aws.stop_vm(vm_id)
    stopped = aws.refresh(vm_id)
    assert stopped.state is VmState.STOPPED
    assert stopped.state_since is not None
    assert abs(stopped.state_since - datetime.now(UTC)) < timedelta(minutes=5)


def test_in_os_shutdown_effect(moto: MotoEndpoint, tmp_path: Path) -> None:
    aws = provider(tmp_path)
    assert isinstance(aws, InOsShutdown)
    assert aws.in_os_shutdown_effect(run_instance("dev")) is ShutdownEffect.STOPS
    assert aws.in_os_shutdown_effect(run_doomed_instance("doomed")) is ShutdownEffect.TERMINATES


def test_status_json_has_cost_fields_and_records_state(
    moto: MotoEndpoint, config_file: Path
) -> None:
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    run_instance("dev", instance_type="t3.large")
    out = io.StringIO()
    err = io.StringIO()
    assert main(["status", "--json"], build_services, out=out, err=err) == 0, err.getvalue()
    (vm,) = json.loads(out.getvalue())
    assert vm["currency"] == "USD"
    assert vm["cost_basis"] == "estimate"
    assert vm["hourly_cost"] > TABLE.on_demand["eu-west-1"]["t3.large"]  # plus disk and IP
    assert vm["cost_today"] == pytest.approx(0.0, abs=0.01)
    assert vm["cost_month"] >= vm["cost_today"]
    changes = SpendRecord().changes(vm["id"])
    assert [c.state for c in changes] == [VmState.RUNNING]


def test_resize_plan_carries_the_price_difference(moto: MotoEndpoint, tmp_path: Path) -> None:
    vm_id = run_instance("dev", instance_type="t3.micro")
    plan = provider(tmp_path).plan_resize(vm_id, "t3.large")
    prices = TABLE.on_demand["eu-west-1"]
    assert plan.price_difference == pytest.approx(prices["t3.large"] - prices["t3.micro"])
    assert plan.summary().endswith(f"+${prices['t3.large'] - prices['t3.micro']:.4f}/h")
