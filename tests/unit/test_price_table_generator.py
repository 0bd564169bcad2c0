"""The release-time generator of the offline price table, fed by a stubbed Pricing API."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import boto3
from botocore.stub import Stubber

from desktop.providers.aws.pricing import compute_filters, ipv4_filters, storage_filters
from tests.unit.test_aws_pricing import compute_document, ipv4_document, storage_document

SCRIPT = Path(__file__).resolve().parents[2] / "packaging" / "generate_aws_price_table.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_aws_price_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_builds_the_table_the_app_reads() -> None:
    generator = load_generator()
    client = boto3.client("pricing", region_name="us-east-1")
    region = "eu-west-1"
    compute = [f for f in compute_filters(region, "-", "linux") if f["Field"] != "instanceType"]
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_products",
            {
                "FormatVersion": "aws_v1",
                "PriceList": [
                    compute_document("t3.large", "0.0912000000"),
                    compute_document("x2iedn.metal", "40.0000000000"),  # not a listed family
                ],
                "NextToken": "more",
            },
            {"ServiceCode": "AmazonEC2", "Filters": compute, "MaxResults": 100},
        )
        stubber.add_response(
            "get_products",
            {"FormatVersion": "aws_v1", "PriceList": [compute_document("m5.large", "0.107")]},
            {
                "ServiceCode": "AmazonEC2",
                "Filters": compute,
                "MaxResults": 100,
                "NextToken": "more",
            },
        )
        for volume, usd in (("gp3", "0.088"), ("gp2", "0.11")):
            stubber.add_response(
                "get_products",
                {"FormatVersion": "aws_v1", "PriceList": [storage_document(volume, usd)]},
                {
                    "ServiceCode": "AmazonEC2",
                    "Filters": storage_filters(region, volume),
                    "MaxResults": 100,
                },
            )
        stubber.add_response(
            "get_products",
            {"FormatVersion": "aws_v1", "PriceList": [ipv4_document()]},
            {"ServiceCode": "AmazonVPC", "Filters": ipv4_filters(region), "MaxResults": 100},
        )
        table = generator.build_table(client, [region], datetime(2026, 11, 23, tzinfo=UTC))
        stubber.assert_no_pending_responses()
    assert table["on_demand"] == {region: {"m5.large": 0.107, "t3.large": 0.0912}}
    assert table["storage_gb_month"] == {region: {"gp3": 0.088, "gp2": 0.11}}
    assert table["public_ipv4_hourly"] == 0.005
    assert table["generated_at"] == "2026-11-23T00:00:00+00:00"
