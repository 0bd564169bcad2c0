"""Reading pay-as-you-go VM prices out of Retail Prices API items (the documented shape)."""

from __future__ import annotations

import pytest

from desktop.core import errors
from desktop.providers.azure.pricing import vm_filter, vm_hourly_price
from tests.arm_emulator import retail_price

SIZE = "Standard_D2s_v3"


def test_linux_and_windows_prices_are_told_apart_and_spot_is_skipped() -> None:
    items = [
        retail_price(SIZE, "westeurope", 0.0456, sku="D2s v3 Spot"),
        retail_price(SIZE, "westeurope", 0.0336, sku="D2s v3 Low Priority"),
        retail_price(SIZE, "westeurope", 0.115),
        retail_price(SIZE, "westeurope", 0.207, windows=True),
    ]
    assert vm_hourly_price(items, "linux") == 0.115
    assert vm_hourly_price(items, "windows") == 0.207


def test_reservations_and_other_units_are_not_hourly_prices() -> None:
    reserved = {**retail_price(SIZE, "westeurope", 600.0), "type": "Reservation"}
    monthly = {**retail_price(SIZE, "westeurope", 80.0), "unitOfMeasure": "1/Month"}
    assert vm_hourly_price([reserved, monthly], "linux") is None


def test_names_from_the_cloud_cannot_break_out_of_the_filter() -> None:
    assert "armSkuName eq 'Standard_D2s_v3'" in vm_filter("westeurope", SIZE)
    with pytest.raises(errors.UsageError, match="size"):
        vm_filter("westeurope", "x' or serviceName ne '")
