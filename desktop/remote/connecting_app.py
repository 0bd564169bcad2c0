"""Which program is connecting through ssh (VS Code, PyCharm, docker…), to say it in the tray.

A ProxyCommand's parent is ssh; the program that started ssh is a few processes further up.
Best effort: `ps` answers on Linux and macOS; anything unknown is simply "ssh".
"""

from __future__ import annotations

import os
import sys

from desktop.system.tools import run_captured

_PS_TIMEOUT = 2.0
_MAX_HOPS = 4
# Checked in order against the lower-cased command line of each ancestor.
_KNOWN: tuple[tuple[str, str], ...] = (
    ("pycharm", "PyCharm"),
    ("gateway", "JetBrains Gateway"),
    ("cursor", "Cursor"),
    ("visual studio code", "VS Code"),
    ("vscode", "VS Code"),
    ("code helper", "VS Code"),
)
_KNOWN_PROGRAMS = {"code": "VS Code", "code-insiders": "VS Code", "codium": "VSCodium"}
_DOCKER = "docker"


def connecting_app(start_pid: int | None = None) -> str | None:
    """The name of the app that ran ssh (None when it is not one we know, e.g. a terminal)."""
    if sys.platform == "win32":
        return None
    pid = os.getppid() if start_pid is None else start_pid  # ssh itself
    for _ in range(_MAX_HOPS):
        found = _parent_and_command(pid)
        if found is None:
            return None
        pid, command = found
        name = _known(command)
        if name is not None:
            return name
        if pid <= 1:
            return None
    return None


def _known(command: str) -> str | None:
    lowered = command.lower()
    program = os.path.basename(lowered.split(" ", 1)[0])
    if program in _KNOWN_PROGRAMS:
        return _KNOWN_PROGRAMS[program]
    if program == _DOCKER:
        return "Docker"
    return next((name for word, name in _KNOWN if word in lowered), None)


def _parent_and_command(pid: int) -> tuple[int, str] | None:
    """(parent pid of `pid`, the parent's command line)."""
    parent = _ps(pid, "ppid=")
    if parent is None or not parent.strip().isdigit():
        return None
    ppid = int(parent.strip())
    command = _ps(ppid, "args=")
    return (ppid, command.strip()) if command else None


def _ps(pid: int, field: str) -> str | None:
    # -ww: ps cuts long command lines to its screen width, and IDE paths are long.
    result = run_captured(["ps", "-ww", "-o", field, "-p", str(pid)], _PS_TIMEOUT)
    return result.stdout if result is not None and result.returncode == 0 else None
