"""Start at login: an XDG autostart entry (Linux), a LaunchAgent (macOS), the Run key (Windows).

Each platform's entry is built as plain data first (`linux_entry`, `macos_entry`,
`windows_command`), so every platform's content is tested on any machine; `Autostart` then
writes, reads or removes it for the platform it runs on.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from desktop.core.files import atomic_write

ENTRY_NAME = "devtray"
LAUNCH_AGENT_LABEL = "dev.devtray.tray"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def _desktop_quote(argument: str) -> str:
    # Desktop Entry spec, "Exec key": quote arguments with reserved characters; inside quotes
    # escape ", `, $ and \ with a backslash; a literal % is written %%.
    argument = argument.replace("%", "%%")
    if argument and not any(ch in argument for ch in " \t\n\"'\\><~|&;$*?#()`"):
        return argument
    escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in argument)
    return f'"{escaped}"'


def linux_entry(argv: Sequence[str]) -> str:
    """The `~/.config/autostart/devtray.desktop` text that runs `argv` at login."""
    exec_line = " ".join(_desktop_quote(arg) for arg in argv)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=devtray\n"
        "Comment=Your cloud dev VM, from the tray\n"
        f"Exec={exec_line}\n"
        "Icon=devtray\n"
        "Terminal=false\n"
        "Categories=Development;\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def macos_entry(argv: Sequence[str]) -> bytes:
    """The LaunchAgent plist that runs `argv` at login."""
    import plistlib

    return plistlib.dumps(
        {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": list(argv),
            "RunAtLoad": True,
            "ProcessType": "Interactive",
        }
    )


def windows_command(argv: Sequence[str]) -> str:
    """The Run-key value: a command line quoted the way Windows parses it."""
    import subprocess

    return subprocess.list2cmdline(list(argv))


class RunKey(Protocol):
    """The per-user Run key in the Windows registry."""

    def get(self, name: str) -> str | None:
        """The value named `name`, if set."""
        ...

    def set(self, name: str, value: str) -> None:
        """Set a string value."""
        ...

    def delete(self, name: str) -> None:
        """Remove a value (no error if absent)."""
        ...


def _winreg() -> Any:
    # Only Windows has winreg; imported on use so the other platforms never try.
    return importlib.import_module("winreg")


class WindowsRunKey:
    """`HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run` through winreg."""

    def get(self, name: str) -> str | None:
        """The value named `name`, if set."""
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def set(self, name: str, value: str) -> None:
        """Set a string value."""
        winreg = _winreg()

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def delete(self, name: str) -> None:
        """Remove a value (no error if absent)."""
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            return


class Autostart:
    """Turns "start devtray at login" on and off for this user on this platform."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        platform: str = sys.platform,
        environ: Mapping[str, str] | None = None,
        run_key: RunKey | None = None,
    ) -> None:
        self.argv = tuple(argv)
        self.platform = platform
        self._environ = os.environ if environ is None else environ
        self._run_key = run_key

    @property
    def path(self) -> Path | None:
        """The file that holds the entry (None on Windows: it lives in the registry)."""
        home = Path(self._environ.get("HOME") or Path.home())
        if self.platform == "darwin":
            return home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
        if self.platform.startswith("win"):
            return None
        config_home = Path(self._environ.get("XDG_CONFIG_HOME") or home / ".config")
        return config_home / "autostart" / f"{ENTRY_NAME}.desktop"

    def _registry(self) -> RunKey:
        if self._run_key is None:
            self._run_key = WindowsRunKey()
        return self._run_key

    def enabled(self) -> bool:
        """True if devtray starts at login."""
        path = self.path
        if path is None:
            return self._registry().get(ENTRY_NAME) is not None
        return path.exists()

    def enable(self) -> None:
        """Start devtray at login from now on."""
        path = self.path
        if path is None:
            self._registry().set(ENTRY_NAME, windows_command(self.argv))
        elif self.platform == "darwin":
            atomic_write(path, macos_entry(self.argv), mode=0o644, backup=False)
        else:
            atomic_write(path, linux_entry(self.argv).encode("utf-8"), mode=0o644, backup=False)

    def disable(self) -> None:
        """Stop starting devtray at login."""
        path = self.path
        if path is None:
            self._registry().delete(ENTRY_NAME)
        else:
            path.unlink(missing_ok=True)
