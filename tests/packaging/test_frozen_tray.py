"""The frozen tray in a real X session (Xvfb, a session bus, a tray host): starts, stays single."""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.qt.single_instance import server_name
from tests.conftest import require_tool
from tests.xsession import X_SESSION_TOOLS, Desktop, x_session

pytestmark = pytest.mark.packaging


@pytest.fixture
def display() -> Iterator[Desktop]:
    """Xvfb, a session bus and `trayer` as the system tray (see tests/xsession.py)."""
    require_tool(*X_SESSION_TOOLS)
    with x_session() as session:
        yield session


def tray_env(display: Desktop) -> dict[str, str]:
    env = dict(display.env, PATH="/usr/bin:/bin")
    for name in ("QT_QPA_PLATFORM", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


def test_demo_tray_starts_from_the_frozen_app(frozen_app: Path, display: Desktop) -> None:
    result = subprocess.run(
        [str(frozen_app / "devtray"), "--demo", "--quit-after-startup"],
        capture_output=True,
        text=True,
        env=tray_env(display),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"devtray started in \d+ ms\n", result.stdout), result.stdout
    assert "Traceback" not in result.stderr


def test_a_second_launch_of_the_frozen_app_hands_over_to_the_first(
    frozen_app: Path, display: Desktop
) -> None:
    env = tray_env(display)
    first = subprocess.Popen(
        [str(frozen_app / "devtray"), "--demo"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The first tray listens on a per-user local socket (in the temp folder, on Linux).
    socket = Path(tempfile.gettempdir()) / server_name()
    try:
        deadline = time.monotonic() + 30
        while not socket.exists():
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline, "the first tray never listened"
            time.sleep(0.1)
        second = subprocess.run(
            [str(frozen_app / "devtray"), "--demo"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert second.returncode == 0, second.stderr
        assert second.stdout == "devtray is already running; asked it to show its menu.\n"
        assert first.poll() is None  # the first tray is still up
    finally:
        first.terminate()
        first.wait(timeout=10)
