"""Where this copy of devtray lives: a source checkout or a frozen (installed) bundle.

Everything that reads a file from `resources/` asks `resource_path()`, so the same code finds
its icons in a checkout, in a PyInstaller bundle (Linux `.deb`/AppImage, the macOS `.app`, the
Windows install folder) and in a test that points `DEVTRAY_RESOURCES_DIR` elsewhere. Start at
login and "open a second copy" use `launch_command()` so they start the installed app, not a
Python interpreter that may not exist on the user's machine.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from desktop.core.errors import DevtrayError

RESOURCES_DIR_ENV = "DEVTRAY_RESOURCES"
# The folder name inside the bundle; packaging/devtray.spec copies resources/ there.
RESOURCES_DIRNAME = "resources"


class MissingResource(DevtrayError):
    """A file the app ships with is not where it should be: a broken install."""

    title = "Broken installation"


def is_frozen() -> bool:
    """True when running from a frozen bundle (PyInstaller sets `sys.frozen`)."""
    return bool(getattr(sys, "frozen", False))


def bundle_root() -> Path:
    """The folder holding the app's code and data: the bundle's, or the source checkout."""
    if is_frozen():
        # PyInstaller unpacks data next to the libraries; _MEIPASS names that folder.
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    return Path(__file__).resolve().parents[2]


def resources_dir() -> Path:
    """The folder with the app's icons, `.desktop` file and plist fragments."""
    override = os.environ.get(RESOURCES_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return bundle_root() / RESOURCES_DIRNAME


def resource_path(relative: str) -> Path:
    """The path of one shipped resource, e.g. `resource_path("app/devtray.svg")`.

    Raises MissingResource when the file is absent, so a broken install says so instead of
    showing a blank icon.
    """
    path = resources_dir() / relative
    if not path.is_file():
        raise MissingResource(
            f"{relative} is missing from {resources_dir()}",
            hint="Reinstall devtray; if you run from a checkout, restore resources/.",
        )
    return path


def launch_command(*args: str) -> list[str]:
    """The argv that starts this same devtray again (for start at login, relaunch).

    On Windows the installed folder has a console `devtray.exe` (for terminals) and a windowed
    `devtrayw.exe`: the tray is started through the latter so no console window opens.
    """
    if not is_frozen():
        return [sys.executable, "-m", "desktop", *args]
    executable = Path(sys.executable)
    windowed = executable.with_name("devtrayw.exe")
    if sys.platform == "win32" and windowed.is_file():
        executable = windowed
    return [str(executable), *args]


def cli_command() -> list[str]:
    """devtray's command line by absolute path, for programs that run it without the shell's
    PATH (start at login, ssh's ProxyCommand from a GUI IDE): the installed app's console
    executable, else the `devtray` script on PATH, else this Python."""
    if is_frozen():
        executable = Path(sys.executable)
        console = executable.with_name("devtray.exe")  # the tray itself runs as devtrayw.exe
        if sys.platform == "win32" and console.is_file():
            executable = console
        return [str(executable)]
    script = shutil.which("devtray")
    if script:
        return [str(Path(script).resolve())]
    return [sys.executable, "-m", "desktop"]
