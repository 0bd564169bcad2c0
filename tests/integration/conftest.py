"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.connect_helpers import pong_server


@pytest.fixture
def service() -> Iterator[int]:
    """A TCP service "on the VM" (the VM is this machine): answers `pong` and hangs up."""
    with pong_server() as port:
        yield port
