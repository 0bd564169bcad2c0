"""DevTest Labs clients: one per subscription, bounded timeouts and retries, the TLS trust."""

from __future__ import annotations

import os
from typing import Any

from desktop.providers.azure.identity import Endpoints

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
# The SDK's own retry policy handles 429 (honouring Retry-After) and 5xx, bounded in tries and time.
RETRY_TOTAL = 3
RETRY_CONNECT = 1  # an unreachable or untrusted endpoint is reported fast, not retried at length
RETRY_TIMEOUT = 60


def trusted_ca_bundle() -> str | bool:
    """The CA bundle TLS trusts: `REQUESTS_CA_BUNDLE` (corporate proxies), else the default."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def make_client(
    credential: Any,
    subscription: str,
    endpoints: Endpoints,
    *,
    connection_verify: str | bool,
    polling_interval: float,
    retry_total: int = RETRY_TOTAL,
) -> Any:
    """A DevTest Labs client for one subscription, with bounded timeouts and retries."""
    from azure.mgmt.devtestlabs import DevTestLabsClient

    return DevTestLabsClient(
        credential,
        subscription,
        base_url=endpoints.arm,
        credential_scopes=[endpoints.scope],
        connection_verify=connection_verify,
        connection_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retry_total=retry_total,
        retry_connect=min(retry_total, RETRY_CONNECT),
        retry_backoff_max=8,
        timeout=RETRY_TIMEOUT,
        polling_interval=polling_interval,
        user_agent="devtray",
    )
