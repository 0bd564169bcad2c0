"""Azure managed disks priced by size tier from Retail Prices API items (the documented shape)."""

from __future__ import annotations

import pytest

from desktop.core import errors
from desktop.providers.azure.pricing import DiskTier, disk_filter, disk_monthly_price, disk_tier
from tests.arm_emulator import retail_disk_price


@pytest.mark.parametrize(
    ("storage", "gib", "tier", "tier_gib"),
    [
        ("Standard", 30, "S4", 32),  # a Linux image's OS disk
        ("Standard", 5, "S4", 32),  # Standard HDD's smallest tier is S4
        ("StandardSSD", 30, "E4", 32),
        ("Premium", 127, "P10", 128),  # a Windows image's OS disk
        ("Premium_LRS", 4, "P1", 4),
        ("StandardSSD_LRS", 1000, "E30", 1024),
    ],
)
def test_a_disk_is_billed_as_the_smallest_tier_that_holds_it(
    storage: str, gib: float, tier: str, tier_gib: int
) -> None:
    found = disk_tier(storage, gib)
    assert found is not None and (found.name, found.gib) == (tier, tier_gib)


def test_unknown_types_and_oversized_disks_have_no_tier() -> None:
    assert disk_tier("UltraSSD", 64) is None
    assert disk_tier("Standard", 40_000) is None


def test_only_the_disks_monthly_meter_counts() -> None:
    tier = DiskTier("E4", 32, "Standard SSD Managed Disks")
    disk = retail_disk_price("E4", "westeurope", 2.40, product="Standard SSD Managed Disks")
    operations = {**disk, "meterName": "E4 LRS Disk Operations", "unitOfMeasure": "10K"}
    reserved = {**disk, "type": "Reservation", "retailPrice": 1.0}
    other_product = {**disk, "productName": "Premium SSD Managed Disks", "retailPrice": 0.5}
    assert disk_monthly_price([operations, reserved, other_product, disk], tier) == 2.40
    assert disk_monthly_price([operations], tier) is None


def test_a_region_from_the_cloud_cannot_break_out_of_the_filter() -> None:
    tier = DiskTier("S4", 32, "Standard HDD Managed Disks")
    assert "skuName eq 'S4 LRS'" in disk_filter("westeurope", tier)
    with pytest.raises(errors.UsageError, match="region"):
        disk_filter("x' or serviceName ne '", tier)
