"""End to end: the demo tray in a real X server with a real tray host, driven like a person.

Xvfb is the display, `trayer` the system tray the icon docks into, `xdotool` the mouse and
keyboard, ImageMagick's `import` the camera. Screenshots go to `artifacts/screenshots/`:
menu-stopped.png, menu-running.png and resize-dialog.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core.config import config_path
from desktop.system.logs import log_file
from tests.conftest import require_tool
from tests.xsession import SCREENSHOTS, X_SESSION_TOOLS, Desktop, Window, eventually, x_session


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    """Xvfb, a session bus and trayer (see tests/xsession.py)."""
    require_tool(*X_SESSION_TOOLS)
    with x_session() as session:
        yield session


def session_members(session: int) -> list[int]:
    """Live processes in a session (the tray is started as a session leader)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == session:
            members.append(int(entry.name))
    return members


def logged(text: str) -> bool:
    """True once the tray's log holds `text`."""
    log = log_file()
    return log.exists() and text in log.read_text()


def tray_icon(desktop: Desktop) -> Window | None:
    """devtray's icon docked in the tray host (None until it is)."""
    small = [w for w in desktop.windows("--classname", "devtray") if w.width <= 64]
    return small[0] if small else None


def open_tray_menu(desktop: Desktop) -> Window:
    """Click the icon; the menu's window once it shows."""
    desktop.click(*eventually(lambda: tray_icon(desktop), "the tray icon").center)
    return eventually(
        lambda: next(
            (w for w in desktop.windows("--classname", "devtray") if w.height > 200), None
        ),
        "the menu",
    )


def quit_from_menu(desktop: Desktop, app: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Quit from the open menu: the app exits 0 and leaves no process of its session behind."""
    desktop.keys("q")  # Quit
    assert app.wait(timeout=timeout) == 0
    leftovers = session_members(app.pid)
    assert leftovers == [], [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in leftovers]


def end_if_running(app: subprocess.Popen[bytes]) -> None:
    """After a failed test: end the app's whole session."""
    if app.poll() is None:
        os.killpg(app.pid, 15)
        app.wait(timeout=10)


def test_start_and_resize_from_the_tray_in_the_demo(desktop: Desktop) -> None:
    app = subprocess.Popen(
        [sys.executable, "-m", "desktop", "--demo"],
        env={
            **desktop.env,
            "QT_QPA_PLATFORM": "xcb",
            "DEVTRAY_DEMO_TIME_SCALE": "0.1",  # a start takes 2 s instead of 20
        },
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        def open_menu() -> Window:
            return open_tray_menu(desktop)

        eventually(lambda: logged("demo-devbox (demo-0001) is stopped"), "the demo VM")
        menu = open_menu()
        desktop.screenshot("menu-stopped.png", menu)
        desktop.keys("s")  # Start's mnemonic: rows other features add cannot shift it
        eventually(lambda: logged("is starting"), "starting")
        eventually(lambda: logged("demo-devbox (demo-0001) is running"), "running")

        menu = open_menu()
        desktop.screenshot("menu-running.png", menu)
        desktop.keys("r")  # Resize…
        dialog = eventually(
            lambda: next(iter(desktop.windows("--name", "Resize demo-devbox")), None),
            "the resize dialog",
        )
        desktop.keys("End")  # the largest size; the dialog checks it and says what will happen
        time.sleep(1.0)
        desktop.screenshot("resize-dialog.png", dialog)
        desktop.keys("Return")
        eventually(lambda: logged("is resizing, demo.2xlarge"), "resizing")
        eventually(lambda: logged("is running, demo.2xlarge"), "running at the new size")

        open_menu()
        quit_from_menu(desktop, app, timeout=15)
    finally:
        end_if_running(app)
    for name in ("menu-stopped.png", "menu-running.png", "resize-dialog.png"):
        assert (SCREENSHOTS / name).exists()


def test_a_broken_config_shows_its_error_and_the_tray_keeps_running(desktop: Desktop) -> None:
    config = config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[polling]\nfast_seconds = "soon"\n', encoding="utf-8")
    app = subprocess.Popen(
        [sys.executable, "-m", "desktop", "--demo"],
        env={**desktop.env, "QT_QPA_PLATFORM": "xcb"},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        window = eventually(
            lambda: next(iter(desktop.windows("--name", "devtray.*Configuration error")), None),
            "the error window",
        )
        time.sleep(0.5)
        desktop.screenshot("launch-bad-config.png", window)
        assert app.poll() is None  # still running: Settings… can fix the file
        assert "polling.fast_seconds" in log_file().read_text()
        assert eventually(
            lambda: [w for w in desktop.windows("--classname", "devtray") if w.width <= 64],
            "the tray icon",
        )
        desktop.keys("Escape")
        eventually(
            lambda: not desktop.windows("--name", "devtray.*Configuration error"),
            "the error window to close",
        )
        assert app.poll() is None
    finally:
        os.killpg(app.pid, 15)
        app.wait(timeout=10)
