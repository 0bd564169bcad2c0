"""Azure VM prices from the Retail Prices API stand-in (HTTPS on 127.0.0.1, in the ARM emulator)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.providers.azure.pricing import AzureRetailPrices, https_json
from desktop.providers.price_cache import PriceSource
from tests.arm_emulator import (
    LAB,
    RETAIL_PRICES_PATH,
    ArmEmulator,
    FakeStaticTokenCredential,
    retail_disk_price,
    retail_price,
    set_power,
)
from tests.integration.azure_cli_helpers import run_devtray

REGION = "westeurope"


def lab_prices(arm: ArmEmulator) -> None:
    """Prices for the lab VM's size (Standard_A2_v2) and the policy's other size, over pages."""
    arm.retail_prices = [
        retail_price("Standard_A2_v2", REGION, 0.0379, sku="A2 v2 Spot"),
        retail_price("Standard_A2_v2", REGION, 0.091, windows=True),
        retail_price("Standard_A2_v2", REGION, 0.0835),  # on the second page
        retail_price("Standard_D4s_v3", REGION, 0.23),
        retail_price("Standard_A2_v2", "eastus", 0.076),
    ]


def test_status_json_prices_the_lab_vm(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    lab_prices(arm)
    result = run_devtray(["status", "--json"], arm, azure_signed_in)

    assert result.code == 0, result.err
    vm = json.loads(result.out)[0]
    assert vm["hourly_cost"] == 0.0835
    assert (vm["currency"], vm["cost_basis"]) == ("USD", "estimate")
    assert vm["cost_today"] is not None
    pages = [path for method, path in arm.requests if path == RETAIL_PRICES_PATH]
    assert len(pages) == 3  # the VM's size: NextPageLink followed; its OS disk's tier (none)


def test_sizes_show_their_prices(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    lab_prices(arm)
    result = run_devtray(["sizes"], arm, azure_signed_in)

    assert result.code == 0, result.err
    assert "0.0835" in result.out and "0.23" in result.out, result.out


def test_prices_are_cached_and_a_stale_figure_beats_none(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential, tmp_path: Path
) -> None:
    lab_prices(arm)
    now = datetime(2026, 11, 2, 10, tzinfo=UTC)
    cache = tmp_path / "azure-prices.json"
    url = f"{arm.base_url}{RETAIL_PRICES_PATH}"
    fetch = https_json(str(arm.ca_path))
    first = AzureRetailPrices(fetch, url=url, cache_path=cache, clock=lambda: now)
    quote = first.hourly(REGION, "Standard_A2_v2")
    assert quote is not None and (quote.value, quote.source) == (0.0835, PriceSource.API)

    asked = len(arm.requests)
    again = AzureRetailPrices(fetch, url=url, cache_path=cache, clock=lambda: now)
    cached = again.hourly(REGION, "Standard_A2_v2")
    assert cached is not None and cached.source is PriceSource.CACHE
    assert len(arm.requests) == asked  # fresh from the disk cache, nothing asked

    later = now + timedelta(days=8)
    arm.retail_prices = []
    arm.server.shutdown()  # the API is gone: the 8-day-old figure is still better than none
    stale = AzureRetailPrices(fetch, url=url, cache_path=cache, clock=lambda: later)
    old = stale.hourly(REGION, "Standard_A2_v2")
    assert old is not None and (old.value, old.source) == (0.0835, PriceSource.CACHE)
    assert old.describe(later) == "from the Azure Retail Prices API, 8 days old"


def test_disks_bill_while_the_vm_is_deallocated(
    arm: ArmEmulator, azure_signed_in: FakeStaticTokenCredential
) -> None:
    lab_prices(arm)
    arm.retail_prices += [
        retail_disk_price("S4", REGION, 1.54),  # the 30 GiB Linux OS disk
        retail_disk_price("S10", REGION, 5.89),  # a 100 GiB data disk: billed as 128 GiB
        {**retail_disk_price("S10", REGION, 0.0005), "meterName": "S10 Disk Operations"},
        retail_disk_price("E4", REGION, 2.40, product="Standard SSD Managed Disks"),
    ]
    vm = arm.lab().vms["alice-vm"]
    vm["properties"]["computeVm"]["dataDisks"] = [
        {"name": "data", "managedDiskId": "/subscriptions/x/disks/data", "diskSizeGiB": 100}
    ]
    disks_monthly = 1.54 + 5.89

    running = run_devtray(["status", "--json"], arm, azure_signed_in)

    assert running.code == 0, running.err
    status = json.loads(running.out)[0]
    assert status["hourly_cost"] == round(0.0835 + disks_monthly / 730, 6)
    assert status["stopped_cost_per_day"] == round(disks_monthly / 730 * 24, 4)

    set_power(vm, "Deallocated")
    stopped = run_devtray(["cost", f"{LAB}/alice-vm"], arm, azure_signed_in)

    assert stopped.code == 0, stopped.err
    assert "Stopped, still costs $0.24/day" in stopped.out, stopped.out


PAGE = "<!doctype html>\n<html><title>503 Service Unavailable</title><h1>Down</h1></html>\n"


def test_a_failing_prices_api_is_summarised_not_shown(
    arm: ArmEmulator,
    azure_signed_in: FakeStaticTokenCredential,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for status in (503, 200):  # an HTTP error, then a page where JSON belongs (a proxy's)
        arm.retail_prices_page = (status, PAGE)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            result = run_devtray(["status", "--json"], arm, azure_signed_in)
        assert result.code == 0, result.err
        assert json.loads(result.out)[0]["hourly_cost"] is None
        said = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [r.getMessage() for r in said][:1] == [
            "Azure Retail Prices API unavailable ("
            + ("HTTP 503" if status == 503 else "It answered with something that is not JSON")
            + "); no price known"
        ]
        assert not any(r.exc_info for r in said)  # no traceback on the terminal
        assert "<html>" not in " ".join(r.getMessage() for r in said)
