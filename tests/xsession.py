"""A throw-away X login session for end-to-end tests and benchmarks: Xvfb, a D-Bus session
bus and a real tray host (`trayer`), driven with `xdotool` and photographed with `import`."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tests.xvfb import stop_process, xvfb_display

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
X_SESSION_TOOLS = ("Xvfb", "trayer", "xdotool", "import", "dbus-daemon")
T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """An X window's id and absolute geometry."""

    id: str
    x: int
    y: int
    width: int
    height: int

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2


@dataclass(frozen=True)
class Desktop:
    """A running X display with a tray host and a session bus, like a real login session."""

    display: str
    bus: str

    @property
    def env(self) -> dict[str, str]:
        """The environment of a program started in this session."""
        return {**os.environ, "DISPLAY": self.display, "DBUS_SESSION_BUS_ADDRESS": self.bus}

    def run(self, *argv: str) -> str:
        result = subprocess.run(
            argv,
            env={**os.environ, "DISPLAY": self.display},
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        return result.stdout

    def windows(self, *search: str) -> list[Window]:
        """Visible windows matching an `xdotool search`, with their geometry."""
        found = []
        for wid in self.run("xdotool", "search", "--onlyvisible", *search).split():
            text = self.run("xdotool", "getwindowgeometry", wid)
            position = re.search(r"Position: (-?\d+),(-?\d+)", text)
            size = re.search(r"Geometry: (\d+)x(\d+)", text)
            if position and size:
                x, y = int(position[1]), int(position[2])
                found.append(Window(wid, x, y, int(size[1]), int(size[2])))
        return found

    def click(self, x: int, y: int) -> None:
        self.run("xdotool", "mousemove", str(x), str(y), "click", "1")

    def keys(self, *names: str) -> None:
        self.run("xdotool", "key", "--delay", "80", *names)

    def screenshot(self, name: str, area: Window) -> Path:
        """Save the part of the screen around `area` (with a margin) as a PNG."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        x, y = max(0, area.x - 16), max(0, area.y - 16)
        crop = f"{area.width + 32}x{area.height + 32}+{x}+{y}"
        self.run("import", "-window", "root", "-crop", crop, "+repage", str(path))
        assert path.stat().st_size > 1000, f"empty screenshot {path}"
        return path


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 15.0) -> T:
    """Poll `probe` until it returns something truthy (bounded in time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def session_bus() -> Iterator[str]:
    """A private `dbus-daemon --session`; yields its address, stops it afterwards."""
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert bus.stdout is not None
    try:
        yield bus.stdout.readline().strip()
    finally:
        stop_process(bus)
        bus.stdout.close()


@contextlib.contextmanager
def x_session() -> Iterator[Desktop]:
    """Xvfb on a free display number, a session bus, and trayer docked at the top right.

    Without a session bus, Qt's D-Bus code would autolaunch one (`dbus-launch`) that outlives
    the app; a real desktop always has one.
    """
    with contextlib.ExitStack() as stack:
        display = stack.enter_context(xvfb_display("1024x600x24"))
        screen = Desktop(display, stack.enter_context(session_bus()))
        trayer = subprocess.Popen(
            [
                "trayer",
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
                "--height",
                "32",
                "--SetDockType",
                "true",
                "--transparent",
                "false",
            ],
            env=screen.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(stop_process, trayer)
        eventually(lambda: screen.windows("--class", "trayer"), "the tray host")
        yield screen
