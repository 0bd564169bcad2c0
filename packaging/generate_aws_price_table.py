"""Regenerate devtray's offline AWS price table from the AWS Pricing API (run at release time).

    .venv/bin/python packaging/generate_aws_price_table.py [--regions eu-west-1 us-east-1 ...]

Needs AWS credentials allowed `pricing:GetProducts`. Writes
`desktop/providers/aws/price_table.json`: on-demand Linux $/h for the instance families
developers use, EBS $/GB-month for gp3 and gp2, and the public IPv4 $/h. The app uses it only
when neither the Pricing API nor its own cache can answer.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.providers.aws.pricing import (
    PRICING_REGION,
    compute_filters,
    ipv4_filters,
    on_demand_price,
    storage_filters,
)

TABLE = (
    Path(__file__).resolve().parent.parent / "desktop" / "providers" / "aws" / "price_table.json"
)
REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-north-1")
FAMILIES = ("t3", "t3a", "t4g", "m5", "m6i", "m7i", "m6g", "m7g", "c5", "c6i", "c7i", "r6i")
VOLUME_TYPES = ("gp3", "gp2")
MAX_PAGES = 200  # bounds the paging of one region's Linux products (~10 pages in practice)


def products(client: Any, service: str, filters: list[dict[str, str]]) -> Iterator[str]:
    """Every PriceList document matching the filters, page by page (bounded)."""
    token = None
    for _ in range(MAX_PAGES):
        kwargs: dict[str, Any] = {"ServiceCode": service, "Filters": filters, "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        page = client.get_products(**kwargs)
        yield from page.get("PriceList", [])
        token = page.get("NextToken")
        if not token:
            return
    raise RuntimeError(f"more than {MAX_PAGES} pages of {service} products; refusing to go on")


def compute_prices(documents: Iterable[str]) -> dict[str, float]:
    """Instance type -> on-demand $/h, for the families devtray lists."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for document in documents:
        attributes = json.loads(document)["product"]["attributes"]
        instance_type = attributes.get("instanceType", "")
        if instance_type.split(".")[0] in FAMILIES:
            by_type[instance_type].append(document)
    prices = {name: on_demand_price(docs, "Hrs") for name, docs in sorted(by_type.items())}
    return {name: price for name, price in prices.items() if price is not None}


def build_table(client: Any, regions: Sequence[str], now: datetime) -> dict[str, Any]:
    """The whole table, read from the Pricing API through `client`."""
    on_demand = {}
    storage = {}
    ipv4 = []
    for region in regions:
        # Every instance type at once: the same filters as the app's, without instanceType.
        filters = [f for f in compute_filters(region, "-", "linux") if f["Field"] != "instanceType"]
        on_demand[region] = compute_prices(products(client, "AmazonEC2", filters))
        storage[region] = {
            volume: price
            for volume in VOLUME_TYPES
            if (
                price := on_demand_price(
                    products(client, "AmazonEC2", storage_filters(region, volume)), "GB-Mo"
                )
            )
            is not None
        }
        price = on_demand_price(products(client, "AmazonVPC", ipv4_filters(region)), "Hrs")
        if price is not None:
            ipv4.append(price)
    if not ipv4:
        raise RuntimeError("no public IPv4 price found in any region")
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "source": "AWS Pricing API (GetProducts), on-demand, Linux, shared tenancy",
        "on_demand": on_demand,
        "storage_gb_month": storage,
        "public_ipv4_hourly": max(ipv4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", nargs="+", default=list(REGIONS))
    parser.add_argument("--output", type=Path, default=TABLE)
    args = parser.parse_args(argv)
    import boto3

    client = boto3.client("pricing", region_name=PRICING_REGION)
    table = build_table(client, args.regions, datetime.now(UTC))
    args.output.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    count = sum(len(types) for types in table["on_demand"].values())
    print(f"wrote {count} instance prices for {len(args.regions)} regions to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
