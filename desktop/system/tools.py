"""Finding external programs (ssh, rsync, mutagen, IDEs) the way a GUI app must.

GUI apps on macOS don't inherit the shell's PATH, so besides PATH we ask the login shell once
and look in the places installers put things.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from desktop.core.errors import BadConfig

LOGIN_SHELL_TIMEOUT = 3.0


@dataclass(frozen=True)
class Tool:
    """An external program devtray may use, and how a person gets it: `install` is one hint
    for every platform, or one per platform ("linux", "darwin", "win32")."""

    name: str
    purpose: str
    install: str | Mapping[str, str]
    executables: tuple[str, ...]
    known_paths: tuple[str, ...] = ()
    optional: bool = False

    def hint_for(self, platform: str) -> str:
        """How to install it on `platform` (a `sys.platform` value), with its package manager."""
        if isinstance(self.install, str):
            return self.install
        key = "linux" if platform.startswith("linux") else platform
        return self.install.get(key) or next(iter(self.install.values()))

    @property
    def install_hint(self) -> str:
        """How to install it on this computer."""
        return self.hint_for(sys.platform)


TOOLS: tuple[Tool, ...] = (
    Tool(
        "ssh",
        "connect to the VM",
        {
            "linux": "Install OpenSSH: sudo apt install openssh-client (Fedora: sudo dnf "
            "install openssh-clients).",
            "darwin": "OpenSSH comes with macOS; if it is missing, reinstall the command line "
            "tools: xcode-select --install.",
            "win32": "Install OpenSSH Client: Settings > System > Optional features > Add a "
            "feature > OpenSSH Client.",
        },
        ("ssh",),
        ("C:/Windows/System32/OpenSSH/ssh.exe",),
    ),
    Tool(
        "rsync",
        "built-in file sync",
        {
            "linux": "Install rsync: sudo apt install rsync (Fedora: sudo dnf install rsync).",
            "darwin": "Install a current rsync with Homebrew: brew install rsync "
            "(https://brew.sh).",
            "win32": "Install rsync with MSYS2 (pacman -S rsync, https://www.msys2.org), or "
            "use Mutagen for sync.",
        },
        ("rsync",),
        ("/opt/homebrew/bin/rsync", "/usr/local/bin/rsync"),
    ),
    Tool(
        "mutagen",
        "Mutagen file sync (optional)",
        {
            "linux": "Optional: download it from https://github.com/mutagen-io/mutagen/releases "
            "(see https://mutagen.io/documentation/introduction/installation).",
            "darwin": "Optional: brew install mutagen-io/mutagen/mutagen "
            "(https://mutagen.io/documentation/introduction/installation).",
            "win32": "Optional: download it from https://github.com/mutagen-io/mutagen/releases "
            "(see https://mutagen.io/documentation/introduction/installation).",
        },
        ("mutagen",),
        ("/opt/homebrew/bin/mutagen", "/usr/local/bin/mutagen"),
    ),
    Tool(
        "code",
        "open projects in VS Code",
        {
            "linux": "Install VS Code from https://code.visualstudio.com/download (the .deb or "
            ".rpm, or sudo snap install code --classic), then its Remote - SSH extension.",
            "darwin": "Install VS Code from https://code.visualstudio.com/download (or brew "
            "install --cask visual-studio-code) and its Remote - SSH extension; then run "
            "\"Shell Command: Install 'code' command in PATH\" from its command palette.",
            "win32": "Install VS Code from https://code.visualstudio.com/download (or winget "
            "install Microsoft.VisualStudioCode), then its Remote - SSH extension.",
        },
        ("code",),
        (
            "/Applications/Visual Studio Code.app/Contents/Resources/app/bin/code",
            "/usr/share/code/bin/code",
            "/snap/bin/code",
            "~/AppData/Local/Programs/Microsoft VS Code/bin/code.cmd",
        ),
        optional=True,
    ),
    Tool(
        "code-insiders",
        "open projects in VS Code Insiders",
        "Optional: https://code.visualstudio.com/insiders/",
        ("code-insiders",),
        (
            "/Applications/Visual Studio Code - Insiders.app/Contents/Resources/app/bin/"
            "code-insiders",
            "/usr/share/code-insiders/bin/code-insiders",
            "~/AppData/Local/Programs/Microsoft VS Code Insiders/bin/code-insiders.cmd",
        ),
        optional=True,
    ),
    Tool(
        "cursor",
        "open projects in Cursor",
        "Optional: https://cursor.com",
        ("cursor",),
        (
            "/Applications/Cursor.app/Contents/Resources/app/bin/cursor",
            "~/AppData/Local/Programs/cursor/resources/app/bin/cursor.cmd",
        ),
        optional=True,
    ),
    Tool(
        "pycharm",
        "open projects in PyCharm",
        "Install PyCharm (or JetBrains Toolbox) from https://www.jetbrains.com/pycharm/.",
        ("pycharm", "pycharm.sh", "charm", "pycharm-professional", "pycharm-community"),
        (
            "/Applications/PyCharm.app/Contents/MacOS/pycharm",
            "/Applications/PyCharm CE.app/Contents/MacOS/pycharm",
            "/snap/bin/pycharm-professional",
            "/snap/bin/pycharm-community",
            "~/.local/share/JetBrains/Toolbox/scripts/pycharm",
            "~/Library/Application Support/JetBrains/Toolbox/scripts/pycharm",
            "~/AppData/Local/JetBrains/Toolbox/scripts/pycharm.cmd",
        ),
        optional=True,
    ),
    Tool(
        "gateway",
        "open projects remotely with JetBrains Gateway",
        "Optional: https://www.jetbrains.com/remote-development/gateway/ (or JetBrains Toolbox).",
        ("gateway", "gateway.sh", "jetbrains-gateway"),
        (
            "/Applications/JetBrains Gateway.app/Contents/MacOS/gateway",
            "~/.local/share/JetBrains/Toolbox/scripts/gateway",
            "~/Library/Application Support/JetBrains/Toolbox/scripts/gateway",
            "~/AppData/Local/JetBrains/Toolbox/scripts/gateway.cmd",
        ),
        optional=True,
    ),
    Tool(
        "aws",
        "reach AWS VMs without a public address (SSM)",
        "Optional: install AWS CLI v2, https://docs.aws.amazon.com/cli/latest/userguide/"
        "getting-started-install.html",
        ("aws",),
        ("/usr/local/bin/aws", "/opt/homebrew/bin/aws", "C:/Program Files/Amazon/AWSCLIV2/aws.exe"),
        optional=True,
    ),
    Tool(
        "session-manager-plugin",
        "SSH through AWS SSM (with the AWS CLI)",
        "Optional: https://docs.aws.amazon.com/systems-manager/latest/userguide/"
        "session-manager-working-with-install-plugin.html",
        ("session-manager-plugin",),
        (
            "/usr/local/bin/session-manager-plugin",
            "/usr/local/sessionmanagerplugin/bin/session-manager-plugin",
            "C:/Program Files/Amazon/SessionManagerPlugin/bin/session-manager-plugin.exe",
        ),
        optional=True,
    ),
    Tool(
        "docker",
        "Docker on the VM over SSH (docker context)",
        "Optional: https://docs.docker.com/get-docker/",
        ("docker",),
        ("/usr/local/bin/docker", "/opt/homebrew/bin/docker"),
        optional=True,
    ),
)


def tool_named(name: str) -> Tool:
    """The Tool entry called `name`."""
    return next(tool for tool in TOOLS if tool.name == name)


def required_tool(name: str) -> Path:
    """Where the tool called `name` is installed; BadConfig with how to get it when missing."""
    tool = tool_named(name)
    found = find_tool(tool)
    if found is None:
        raise BadConfig(f"{name} was not found ({tool.purpose}).", hint=tool.install_hint)
    return found


def run_captured(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str] | None:
    """Run a program for its output (text, stdin closed); None if it cannot run or times out."""
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


@functools.cache
def login_shell_path() -> tuple[str, ...]:
    """PATH as the user's login shell sets it (asked once; empty where there is none)."""
    shell = os.environ.get("SHELL")
    if sys.platform == "win32" or not shell or not Path(shell).is_file():
        return ()
    result = run_captured([shell, "-ilc", "printenv PATH"], LOGIN_SHELL_TIMEOUT)
    if result is None:
        return ()
    lines = result.stdout.strip().splitlines()
    return tuple(lines[-1].split(os.pathsep)) if lines else ()


def find_tool(tool: Tool, *, search_login_shell: bool = sys.platform == "darwin") -> Path | None:
    """Where `tool` is installed, or None."""
    for executable in tool.executables:
        found = shutil.which(executable)
        if found:
            return Path(found)
    for known in tool.known_paths:
        candidate = Path(known).expanduser()
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    if search_login_shell:
        extra = os.pathsep.join(login_shell_path())
        for executable in tool.executables:
            found = shutil.which(executable, path=extra) if extra else None
            if found:
                return Path(found)
    return None
