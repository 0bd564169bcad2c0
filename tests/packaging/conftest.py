"""Build the frozen app and the .deb once per test session, into a temporary folder.

The builds take about a minute on two cores, so they are session-scoped and the tests that
need them are marked `packaging` (`pytest -m "not packaging"` leaves them out on a laptop).
Sizes are printed in the terminal summary, so CI's log reports them on every run.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_ALL, require_tool

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging"))
sys.path.insert(0, str(REPO / "installers" / "linux"))

_SIZES: dict[str, int] = {}


def _require_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        message = "needs pyinstaller (in the test extra: pip install -e '.[test]')"
        if REQUIRE_ALL:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder PyInstaller builds from packaging/devtray.spec (…/devtray/devtray inside)."""
    _require_pyinstaller()
    from freeze import folder_size, freeze

    root = tmp_path_factory.mktemp("freeze")
    app = freeze(root / "dist", root / "build")
    _SIZES["frozen app folder"] = folder_size(app)
    yield app


@pytest.fixture(scope="session")
def deb_package(frozen_app: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .deb built from the frozen app (fast compression; releases use dpkg's default)."""
    require_tool("dpkg-deb", "objdump")
    from build_deb import build_deb

    deb = build_deb(frozen_app, tmp_path_factory.mktemp("deb"), fast=True)
    _SIZES[".deb (xz -1)"] = deb.stat().st_size
    return deb


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report the artifact sizes measured in this run."""
    if _SIZES:
        terminalreporter.section("devtray artifact sizes")
        for name, size in _SIZES.items():
            terminalreporter.write_line(f"{name}: {size / 1e6:.1f} MB")
