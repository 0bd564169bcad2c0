"""Azure VM prices from the public Retail Prices API (prices.azure.com, no sign-in).

GET `{url}?$filter=serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' and
armSkuName eq 'Standard_D2s_v3' and priceType eq 'Consumption'` answers
`{"Items": [{"retailPrice", "unitOfMeasure": "1 Hour", "armRegionName", "armSkuName",
"productName": "Virtual Machines DSv3 Series[ Windows]", "skuName": "D2s v3[ Spot|Low Priority]",
"type": "Consumption", ...}], "NextPageLink": url | null}`. Prices go through the shared
`QuoteCache` (7 days on disk, stale cache when the API fails). There is no offline table for
Azure: without the API or a cached figure the VM's cost is unknown, never guessed.

Managed disks are billed per month by size tier (a 30 GiB disk is billed as the 32 GiB tier:
S4 on Standard HDD, E4 on Standard SSD, P4 on Premium SSD), whether the VM runs or not. Their
meters are `serviceName eq 'Storage'` items with `skuName` "S4 LRS", `productName` "Standard HDD
Managed Disks" and `unitOfMeasure` "1/Month"; a month is 730 hours.
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from desktop.core import errors
from desktop.core.config import APP_NAME
from desktop.providers.price_cache import Quote, QuoteCache

RETAIL_PRICES_URL = "https://prices.azure.com/api/retail/prices"
TIMEOUT_S = 15.0
MAX_PAGES = 10  # a size in a region has a handful of meters; bound the paging anyway
# Region and size names go into an OData string literal: allow only what Azure's names use.
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")
# Meters that are not the plain pay-as-you-go price of a running VM.
_NOT_ON_DEMAND = ("spot", "low priority")

FetchJson = Callable[[str], Mapping[str, Any]]

# Managed disk size tiers (GiB) and their numbers: tier N of a type holds up to that many GiB.
DISK_TIERS = (
    (4, 1), (8, 2), (16, 3), (32, 4), (64, 6), (128, 10), (256, 15), (512, 20),
    (1024, 30), (2048, 40), (4096, 50), (8192, 60), (16384, 70), (32767, 80),
)  # fmt: skip
# A lab VM's `storageType` -> the tier letter, the smallest tier and the disks' product name.
DISK_KINDS: Mapping[str, tuple[str, int, str]] = {
    "standard": ("S", 4, "Standard HDD Managed Disks"),
    "standardssd": ("E", 1, "Standard SSD Managed Disks"),
    "premium": ("P", 1, "Premium SSD Managed Disks"),
}


@dataclass(frozen=True)
class DiskTier:
    """The billing tier of one managed disk: `S4` holds 32 GiB of a Standard HDD disk."""

    name: str
    gib: int
    product: str


def disk_tier(storage_type: str, size_gib: float) -> DiskTier | None:
    """The tier a disk of `size_gib` is billed as; None for an unknown type or a huge disk."""
    kind = DISK_KINDS.get(storage_type.replace("_", "").replace("LRS", "").casefold())
    if kind is None:
        return None
    letter, smallest, product = kind
    for gib, number in DISK_TIERS:
        if number >= smallest and size_gib <= gib:
            return DiskTier(f"{letter}{number}", gib, product)
    return None


def disk_filter(region: str, tier: DiskTier) -> str:
    """The `$filter` for a disk tier's locally redundant meters in a region."""
    return (
        f"serviceName eq 'Storage' and armRegionName eq '{_checked_name('region', region)}' "
        f"and skuName eq '{tier.name} LRS' and priceType eq 'Consumption'"
    )


def disk_monthly_price(items: Iterable[Mapping[str, Any]], tier: DiskTier) -> float | None:
    """The pay-as-you-go $/month of one disk of `tier` (not its operations or bursting)."""
    prices = [
        float(item.get("retailPrice", 0))
        for item in items
        if item.get("type") == "Consumption"
        and item.get("unitOfMeasure") == "1/Month"
        and item.get("productName") == tier.product
        and str(item.get("skuName", "")).casefold() == f"{tier.name} LRS".casefold()
        and "disk" in str(item.get("meterName", "")).casefold()
        and not any(
            word in str(item.get("meterName", "")).casefold()
            for word in ("operations", "mount", "burst")
        )
    ]
    prices = [price for price in prices if price > 0]
    return min(prices) if prices else None


def vm_filter(region: str, size: str) -> str:
    """The `$filter` for a size's pay-as-you-go meters in a region."""
    return (
        f"serviceName eq 'Virtual Machines' "
        f"and armRegionName eq '{_checked_name('region', region)}' "
        f"and armSkuName eq '{_checked_name('size', size)}' and priceType eq 'Consumption'"
    )


def _checked_name(what: str, value: str) -> str:
    """`value`, once it is known safe inside an OData string literal (as Azure's names are)."""
    if not _NAME.match(value):
        raise errors.UsageError(f"Not a valid Azure {what} name for a price lookup: {value!r}")
    return value


def vm_hourly_price(items: Iterable[Mapping[str, Any]], platform: str) -> float | None:
    """The pay-as-you-go $/h for `platform` among Retail Prices items (None when absent).

    Windows meters carry "Windows" in productName; Spot and Low Priority meters are skipped;
    the lowest remaining non-zero hourly price wins.
    """
    windows = platform == "windows"
    prices = []
    for item in items:
        if item.get("type") != "Consumption" or item.get("unitOfMeasure") != "1 Hour":
            continue
        names = f"{item.get('skuName', '')} {item.get('meterName', '')}".casefold()
        if any(word in names for word in _NOT_ON_DEMAND):
            continue
        if ("windows" in str(item.get("productName", "")).casefold()) != windows:
            continue
        value = float(item.get("retailPrice", 0))
        if value > 0:
            prices.append(value)
    return min(prices) if prices else None


def https_json(verify: str | bool) -> FetchJson:
    """GET a URL and parse its JSON, trusting `verify` (a CA bundle path, or the default)."""
    context = (
        ssl.create_default_context(cafile=verify)
        if isinstance(verify, str)
        else ssl.create_default_context()
    )

    def fetch(url: str) -> Mapping[str, Any]:
        if not url.startswith("https://"):
            raise errors.BadConfig(f"Azure prices are read over https:// only, not {url!r}.")
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        try:
            # https only (checked above); the host is the configured API's (pages are checked).
            with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=context) as response:  # noqa: S310
                data = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # its body (a page) is never shown
            raise errors.ServiceUnavailable(
                f"The Azure Retail Prices API answered HTTP {exc.code}.", exc.code
            ) from exc
        except OSError as exc:  # URLError, timeouts, TLS failures
            raise errors.Offline(f"Could not read Azure prices: {exc}") from exc
        except ValueError as exc:  # not JSON: a captive portal's or a proxy's page
            raise errors.DevtrayError("It answered with something that is not JSON.") from exc
        if not isinstance(data, dict):
            raise errors.DevtrayError("The Azure Retail Prices API answered without an object.")
        return data

    return fetch


def default_cache_path() -> Path:
    """Where fetched Azure prices are kept between runs."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "azure-prices.json"


class AzureRetailPrices:
    """Pay-as-you-go VM prices, cached on disk."""

    def __init__(
        self,
        fetch: FetchJson,
        *,
        url: str = RETAIL_PRICES_URL,
        cache_path: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._fetch = fetch
        self.url = url
        self._cache = QuoteCache(
            cache_path or default_cache_path(), "the Azure Retail Prices API", clock
        )

    def hourly(self, region: str, size: str, platform: str = "linux") -> Quote | None:
        """The pay-as-you-go $/h of a VM size in a region."""
        return self._cache.quote(
            f"vm/{region.casefold()}/{size.casefold()}/{platform}",
            lambda: vm_hourly_price(self._items(vm_filter(region, size)), platform),
        )

    def disk_monthly(self, region: str, tier: DiskTier) -> Quote | None:
        """The pay-as-you-go $/month of one managed disk of `tier` in a region."""
        return self._cache.quote(
            f"disk/{region.casefold()}/{tier.name.casefold()}",
            lambda: disk_monthly_price(self._items(disk_filter(region, tier)), tier),
        )

    def _items(self, odata_filter: str) -> list[Mapping[str, Any]]:
        origin = _origin(self.url)
        url: str | None = f"{self.url}?{urllib.parse.urlencode({'$filter': odata_filter})}"
        items: list[Mapping[str, Any]] = []
        for _page in range(MAX_PAGES):
            if url is None:
                break
            page = self._fetch(url)
            items.extend(page.get("Items") or [])
            url = page.get("NextPageLink") or None
            if url is not None and _origin(url) != origin:
                # Follow pages on the API's own host only (scheme and host:port).
                raise errors.DevtrayError(f"The prices API pointed elsewhere: {url}")
        return items


@dataclass(frozen=True)
class DiskPrices:
    """What a VM's managed disks cost per month, and in words which disks those are."""

    gib: int  # the tiers' sizes added up (what is billed, not what is used)
    monthly: float
    describe: str  # "2 Standard HDD disks (S4, S10)"


def lab_disk_prices(
    prices: AzureRetailPrices, region: str, storage_type: str, sizes: Iterable[float]
) -> DiskPrices | None:
    """The monthly price of disks of these sizes; None when any of them cannot be priced."""
    tiers = [disk_tier(storage_type, size) for size in sizes]
    if not tiers or any(tier is None for tier in tiers):
        return None
    known = [tier for tier in tiers if tier is not None]
    quotes = [prices.disk_monthly(region, tier) for tier in known]
    if any(quote is None for quote in quotes):
        return None
    kind = known[0].product.removesuffix(" Managed Disks")
    count = f"{len(known)} {kind} disk" + ("s" if len(known) > 1 else "")
    return DiskPrices(
        gib=sum(tier.gib for tier in known),
        monthly=sum(quote.value for quote in quotes if quote is not None),
        describe=f"{count} ({', '.join(tier.name for tier in known)})",
    )


def _origin(url: str) -> tuple[str, str, int]:
    """Scheme, host and port (the API writes `prices.azure.com:443` in its page links)."""
    parts = urllib.parse.urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, (parts.hostname or "").casefold(), parts.port or default
