"""AWS prices through botocore's Stubber (which checks requests and responses against the real
Pricing and EC2 service models): parsing, cache with age, offline fallback, spot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from desktop.core import errors
from desktop.providers.aws.calls import AwsCalls
from desktop.providers.aws.pricing import (
    AwsPrices,
    PriceSource,
    PriceTable,
    compute_filters,
    ipv4_filters,
    on_demand_price,
    spot_price,
    storage_filters,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def price_document(
    *,
    family: str,
    attributes: dict[str, str],
    unit: str,
    usd: str,
    description: str,
    sku: str = "JRTCKXETXF2QE8Z4",
    reserved: bool = False,
) -> str:
    """One PriceList entry as GetProducts returns it: a JSON *string* (format aws_v1)."""
    term_code = "JRTCKXETXF"
    document: dict[str, Any] = {
        "product": {"productFamily": family, "attributes": attributes, "sku": sku},
        "serviceCode": attributes.get("servicecode", "AmazonEC2"),
        "terms": {
            "OnDemand": {
                f"{sku}.{term_code}": {
                    "priceDimensions": {
                        f"{sku}.{term_code}.6YS6EN2CT7": {
                            "unit": unit,
                            "endRange": "Inf",
                            "description": description,
                            "appliesTo": [],
                            "rateCode": f"{sku}.{term_code}.6YS6EN2CT7",
                            "beginRange": "0",
                            "pricePerUnit": {"USD": usd},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": "2026-11-01T00:00:00Z",
                    "offerTermCode": term_code,
                    "termAttributes": {},
                }
            }
        },
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    }
    if reserved:
        document["terms"]["Reserved"] = {}
    return json.dumps(document)


def compute_document(instance_type: str, usd: str, region: str = "eu-west-1") -> str:
    return price_document(
        family="Compute Instance",
        attributes={
            "servicecode": "AmazonEC2",
            "instanceType": instance_type,
            "regionCode": region,
            "location": "EU (Ireland)",
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "preInstalledSw": "NA",
            "capacitystatus": "Used",
            "licenseModel": "No License required",
            "usagetype": f"EU-BoxUsage:{instance_type}",
            "operation": "RunInstances",
            "vcpu": "2",
            "memory": "8 GiB",
        },
        unit="Hrs",
        usd=usd,
        description=f"${float(usd):.4f} per On Demand Linux {instance_type} Instance Hour",
        reserved=True,
    )


def storage_document(volume: str, usd: str, region: str = "eu-west-1") -> str:
    return price_document(
        family="Storage",
        attributes={
            "servicecode": "AmazonEC2",
            "regionCode": region,
            "volumeApiName": volume,
            "volumeType": "General Purpose",
            "usagetype": f"EU-EBS:VolumeUsage.{volume}",
        },
        unit="GB-Mo",
        usd=usd,
        description=f"${usd} per GB-month of General Purpose ({volume}) provisioned storage",
        sku="HY3BZPP2B6K8MSJF",
    )


def ipv4_document(usd: str = "0.0050000000") -> str:
    return price_document(
        family="VpcPublicIPv4Address",
        attributes={
            "servicecode": "AmazonVPC",
            "regionCode": "eu-west-1",
            "usagetype": "EU-PublicIPv4:InUseAddress",
            "group": "VPCPublicIPv4Address",
        },
        unit="Hrs",
        usd=usd,
        description="$0.005 per In-use public IPv4 address per hour",
        sku="8GAFSPEV3JVBGZN8",
    )


@pytest.fixture
def pricing() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("pricing", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect(stubber: Stubber, service: str, filters: list[dict[str, str]], docs: list[str]) -> None:
    stubber.add_response(
        "get_products",
        {"FormatVersion": "aws_v1", "PriceList": docs},
        {"ServiceCode": service, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100},
    )


def make_prices(client: Any, tmp_path: Path, clock: list[datetime] | None = None) -> AwsPrices:
    now = clock or [NOW]
    return AwsPrices(
        lambda: client,
        AwsCalls("sign in", sleep=lambda _s: None),
        cache_path=tmp_path / "cache" / "aws-prices.json",
        table=PriceTable.load(),
        clock=lambda: now[0],
    )


def test_on_demand_price_reads_the_json_strings() -> None:
    free_tier = price_document(
        family="Compute Instance",
        attributes={"instanceType": "t3.large"},
        unit="Hrs",
        usd="0.0000000000",
        description="$0.00 per Linux t3.large Dedicated Host Instance hour",
    )
    docs = [compute_document("t3.large", "0.0912000000"), free_tier]
    assert on_demand_price(docs, "Hrs") == pytest.approx(0.0912)
    assert on_demand_price(docs, "GB-Mo") is None
    assert on_demand_price([], "Hrs") is None


def test_api_prices_are_cached_on_disk_with_their_age(
    pricing: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = pricing
    expect(
        stubber,
        "AmazonEC2",
        compute_filters("eu-west-1", "t3.large", "linux"),
        [compute_document("t3.large", "0.0912000000")],
    )
    clock = [NOW]
    prices = make_prices(client, tmp_path, clock)
    quote = prices.hourly("eu-west-1", "t3.large")
    assert quote is not None
    assert (quote.value, quote.source, quote.fetched_at) == (0.0912, PriceSource.API, NOW)
    # A second instance (a new run of devtray) reads the disk cache: no API call is queued.
    clock[0] = NOW + timedelta(hours=5)
    again = make_prices(client, tmp_path, clock).hourly("eu-west-1", "t3.large")
    assert again is not None
    assert again.source is PriceSource.CACHE
    assert again.age(clock[0]) == timedelta(hours=5)
    assert again.describe(clock[0]) == "from the AWS Pricing API, 5 h old"


def test_stale_cache_is_refreshed_and_kept_when_the_api_fails(
    pricing: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = pricing
    filters = compute_filters("eu-west-1", "t3.large", "linux")
    expect(stubber, "AmazonEC2", filters, [compute_document("t3.large", "0.0912000000")])
    clock = [NOW]
    make_prices(client, tmp_path, clock).hourly("eu-west-1", "t3.large")
    clock[0] = NOW + timedelta(days=30)
    stubber.add_client_error("get_products", "AccessDeniedException", "not allowed", 400)
    quote = make_prices(client, tmp_path, clock).hourly("eu-west-1", "t3.large")
    assert quote is not None
    assert (quote.value, quote.source) == (0.0912, PriceSource.CACHE)


def test_offline_table_when_nothing_else_answers(
    pricing: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = pricing
    stubber.add_client_error("get_products", "AccessDeniedException", "not allowed", 400)
    prices = make_prices(client, tmp_path)
    quote = prices.hourly("eu-west-1", "t3.large")
    assert quote is not None
    assert quote.source is PriceSource.TABLE
    assert quote.value == PriceTable.load().on_demand["eu-west-1"]["t3.large"]
    # The failure is remembered for the session: no second API call (none is queued).
    assert prices.lookup("us-east-1", "t3.micro", "linux") == 0.0104
    assert prices.hourly("eu-west-1", "x9.huge") is None
    assert prices.hourly("eu-west-1", "t3.large", "windows") is None


def test_storage_and_ipv4_prices(pricing: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = pricing
    expect(
        stubber,
        "AmazonEC2",
        storage_filters("eu-west-1", "gp3"),
        [storage_document("gp3", "0.0880000000")],
    )
    expect(stubber, "AmazonVPC", ipv4_filters("eu-west-1"), [ipv4_document()])
    prices = make_prices(client, tmp_path)
    storage = prices.storage_gb_month("eu-west-1", "gp3")
    ipv4 = prices.public_ipv4_hourly("eu-west-1")
    assert storage is not None
    assert ipv4 is not None
    assert storage.value == pytest.approx(0.088)
    assert ipv4.value == pytest.approx(0.005)


def test_paging_follows_next_token(pricing: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = pricing
    filters = compute_filters("eu-west-1", "m5.large", "linux")
    params = {"ServiceCode": "AmazonEC2", "Filters": filters, "FormatVersion": "aws_v1"}
    stubber.add_response(
        "get_products",
        {"FormatVersion": "aws_v1", "PriceList": [], "NextToken": "page2"},
        {**params, "MaxResults": 100},
    )
    stubber.add_response(
        "get_products",
        {"FormatVersion": "aws_v1", "PriceList": [compute_document("m5.large", "0.1070000000")]},
        {**params, "MaxResults": 100, "NextToken": "page2"},
    )
    assert make_prices(client, tmp_path).lookup("eu-west-1", "m5.large", "linux") == 0.107


def test_an_unreadable_cache_is_ignored(pricing: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = pricing
    cache = tmp_path / "cache" / "aws-prices.json"
    cache.parent.mkdir()
    cache.write_text("{not json")
    expect(
        stubber,
        "AmazonEC2",
        compute_filters("eu-west-1", "t3.large", "linux"),
        [compute_document("t3.large", "0.0912000000")],
    )
    assert make_prices(client, tmp_path).lookup("eu-west-1", "t3.large", "linux") == 0.0912
    assert json.loads(cache.read_text())["compute/eu-west-1/t3.large/linux"]["value"] == 0.0912


def test_spot_price_is_the_latest_in_the_zone() -> None:
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    with Stubber(ec2) as stubber:
        params = {
            "InstanceTypes": ["t3.large"],
            "ProductDescriptions": ["Linux/UNIX"],
            "AvailabilityZone": "eu-west-1a",
            "StartTime": NOW,
            "MaxResults": 10,
        }
        history = [
            {
                "AvailabilityZone": "eu-west-1a",
                "InstanceType": "t3.large",
                "ProductDescription": "Linux/UNIX",
                "SpotPrice": price,
                "Timestamp": NOW - timedelta(hours=hours),
            }
            for price, hours in (("0.031200", 3), ("0.029800", 1))
        ]
        stubber.add_response("describe_spot_price_history", {"SpotPriceHistory": history}, params)
        stubber.add_response("describe_spot_price_history", {"SpotPriceHistory": []}, params)
        calls = AwsCalls("sign in")
        assert spot_price(ec2, calls, "eu-west-1a", "t3.large", NOW) == pytest.approx(0.0298)
        with pytest.raises(errors.NotFound, match="No spot price"):
            spot_price(ec2, calls, "eu-west-1a", "t3.large", NOW)


def test_the_shipped_table_is_well_formed() -> None:
    table = PriceTable.load()
    assert table.public_ipv4_hourly > 0
    assert all(price > 0 for region in table.on_demand.values() for price in region.values())
    assert all(
        set(volumes) >= {"gp3"} and all(p > 0 for p in volumes.values())
        for volumes in table.storage.values()
    )
