"""End to end: the demo's whole day as a new user meets it — `devtray --demo` in a real X server
with a real tray host (Xvfb + trayer + xdotool), no account. One key press on Start my day
starts the demo VM (a stand-in on this machine), syncs the demo project to it, forwards its web
app's port and asks the IDE (a named fake `code` on PATH that records its argv) to open the
project; an edit reaches the stand-in; End my day stops it. Screenshots: demo-day-ready.png,
demo-day-ended.png in `artifacts/screenshots/`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.e2e.test_tray_e2e import end_if_running, logged, open_tray_menu, quit_from_menu
from tests.integration.test_open_ide import _fake_ide, _recorded
from tests.sync_helpers import tree
from tests.xsession import SCREENSHOTS, X_SESSION_TOOLS, Desktop, eventually, x_session


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    """Xvfb, a session bus and trayer (see tests/xsession.py)."""
    require_tool(*X_SESSION_TOOLS)
    with x_session() as session:
        yield session


def _forwarded_port(project: Path) -> int:
    """The local port of the demo project's tunnel (its `.devtray.toml` names it)."""
    line = next(
        text
        for text in (project / ".devtray.toml").read_text().splitlines()
        if text.startswith("ports")
    )
    return int(line.split('"')[1].split(":")[0])


def test_the_demos_whole_day_from_the_tray(desktop: Desktop, tmp_path: Path) -> None:
    world = tmp_path / "demo"
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    code_args = _fake_ide(bin_dir, "code")  # the named IDE stand-in
    app = subprocess.Popen(
        [sys.executable, "-m", "desktop", "--demo"],
        env={
            **desktop.env,
            "QT_QPA_PLATFORM": "xcb",
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "DEVTRAY_DEMO_DIR": str(world),
            "DEVTRAY_DEMO_TIME_SCALE": "0.1",  # a start takes 2 s instead of 20
        },
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    project = world / "projects" / "hello-app"
    disk = world / "standin" / "vm" / "hello-app"
    try:
        eventually(lambda: logged("day rows for 1 project"), "the demo's day rows", 30)
        eventually(lambda: logged("demo-devbox (demo-0001) is stopped"), "the demo VM", 30)
        open_tray_menu(desktop)
        desktop.keys("d")  # Start my day: the one click of the day

        eventually(lambda: logged("day: ready"), "the demo's day is ready", 90)
        assert tree(disk) == tree(project)
        assert _recorded(code_args, timeout=30)[-1].endswith(str(disk))
        port = _forwarded_port(project)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/hello-app/index.html", timeout=10)
        assert b"Hello from the demo VM" in page.read()
        (project / "app.py").write_text('print("edited in the demo")\n')
        eventually(lambda: tree(disk) == tree(project), "the edit on the demo VM", 30)
        time.sleep(0.5)
        desktop.screenshot("demo-day-ready.png", open_tray_menu(desktop))

        desktop.keys("n")  # End my day
        eventually(lambda: logged("day: ended"), "the day's end", 60)
        desktop.screenshot("demo-day-ended.png", open_tray_menu(desktop))
        quit_from_menu(desktop, app, timeout=30)
    finally:
        end_if_running(app)
    for name in ("demo-day-ready.png", "demo-day-ended.png"):
        assert (SCREENSHOTS / name).exists()
