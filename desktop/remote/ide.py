"""Open a project in the IDE, already connected to the VM.

- VS Code (or Cursor, VS Code Insiders): `code --folder-uri vscode-remote://ssh-remote+ALIAS/PATH`
  through Remote-SSH; without the `code` command, the `vscode://vscode-remote/...` URL.
- PyCharm: the *local* synced project folder in local PyCharm.
- JetBrains Gateway: the `jetbrains-gateway://connect#...type=ssh...` link (Gateway or Toolbox).
"""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from desktop.core.errors import DevtrayError
from desktop.core.project import Project
from desktop.remote.ssh_config import HostEntry, config_option, ssh_config_path, ssh_reason
from desktop.system.tools import Tool, find_tool, tool_named


class IdeKind(enum.StrEnum):
    """The IDEs `devtray open` knows."""

    VSCODE = "vscode"
    PYCHARM = "pycharm"
    GATEWAY = "gateway"


class IdeMissing(DevtrayError):
    """The IDE (and every fallback) is not installed."""

    title = "IDE not found"


@dataclass(frozen=True)
class Launch:
    """How to open it: a command line (argv, never a shell string) and what it does, in words.

    `if_unopened` is set when argv hands a link to the desktop: what to install if nothing
    on this computer opens it.
    """

    argv: tuple[str, ...]
    description: str
    if_unopened: str | None = None


ToolFinder = Callable[[Tool], Path | None]

VSCODE_VARIANTS = ("code", "cursor", "code-insiders")
OPENER_WAIT = 5.0  # seconds a link opener gets to say it found no application


def remote_folder_uri(alias: str, remote_path: str) -> str:
    """`vscode-remote://ssh-remote+ALIAS/abs/path` (the path must be absolute)."""
    return f"vscode-remote://ssh-remote+{alias}{quote(remote_path, safe='/')}"


def vscode_url(alias: str, remote_path: str) -> str:
    """The `vscode://` URL that opens the same folder when there is no `code` command."""
    return f"vscode://vscode-remote/ssh-remote+{alias}{quote(remote_path, safe='/')}"


def gateway_link(alias: str, user: str | None, port: int, remote_path: str) -> str:
    """The JetBrains Gateway link that opens `remote_path` on the VM over SSH with PyCharm."""
    params = {"type": "ssh", "deploy": "true", "host": alias, "port": str(port)}
    if user:
        params["user"] = user
    params |= {"projectPath": remote_path, "productCode": "PY"}
    return "jetbrains-gateway://connect#" + urlencode(params, quote_via=quote)


def url_opener(find: Callable[[str], str | None] = shutil.which) -> tuple[str, ...] | None:
    """The command that hands a URL to the desktop (None: use os.startfile on Windows)."""
    if sys.platform == "win32":
        return None
    name = "open" if sys.platform == "darwin" else "xdg-open"
    found = find(name)
    if found is None:
        raise IdeMissing(
            f"There is no `{name}` to open links with.", hint="Install xdg-utils, or open by hand."
        )
    return (found,)


def linux_url_handler(scheme: str, find: Callable[[str], str | None] = shutil.which) -> bool:
    """Whether the Linux desktop has an application for `scheme://` links (True when it cannot
    say: then the opener's exit status tells)."""
    query = find("xdg-mime")
    if query is None:
        return True
    try:
        result = subprocess.run(
            [query, "query", "default", f"x-scheme-handler/{scheme}"],
            capture_output=True,
            text=True,
            timeout=10,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return True
    return result.returncode != 0 or bool(result.stdout.strip())


def vscode_missing() -> IdeMissing:
    """VS Code is not installed (no command, nothing opens its links): how to get it."""
    return IdeMissing(
        "VS Code was not found: there is no `code` command (nor Cursor or VS Code Insiders), "
        "and nothing on this computer opens vscode:// links.",
        hint=tool_named("code").install_hint,
    )


def plan_vscode(alias: str, remote_path: str, finder: ToolFinder = find_tool) -> Launch:
    """VS Code (or Cursor/Insiders) on the remote folder; the URL when no command is found."""
    uri = remote_folder_uri(alias, remote_path)
    for name in VSCODE_VARIANTS:
        executable = finder(tool_named(name))
        if executable is not None:
            return Launch((str(executable), "--folder-uri", uri), f"{name} {uri}")
    return _vscode_link(vscode_url(alias, remote_path))


def _vscode_link(url: str) -> Launch:
    """A `vscode://` link handed to the desktop (VS Code without its `code` command)."""
    if sys.platform.startswith("linux") and not linux_url_handler("vscode"):
        raise vscode_missing()
    hint = tool_named("code").install_hint
    opener = url_opener()
    if opener is None:
        return Launch(("start", url), url, hint)
    return Launch((*opener, url), url, hint)


def plan_local_folder(kind: IdeKind, folder: Path, finder: ToolFinder = find_tool) -> Launch:
    """`kind` on a folder of this computer (`code FOLDER`, `pycharm FOLDER`): the simulated
    demo VM's disk, which no SSH host serves. Gateway, which only connects over SSH, gives way
    to PyCharm on the same folder."""
    if kind is not IdeKind.VSCODE:
        return plan_pycharm(folder, finder)
    for name in VSCODE_VARIANTS:
        executable = finder(tool_named(name))
        if executable is not None:
            return Launch((str(executable), str(folder)), f"{name} {folder}")
    path = folder.as_posix()
    path = path if path.startswith("/") else "/" + path  # C:/x (Windows) -> /C:/x
    return _vscode_link(f"vscode://file{quote(path, safe='/:')}")


def plan_pycharm(project_root: Path, finder: ToolFinder = find_tool) -> Launch:
    """Local PyCharm on the local (synced) project folder."""
    tool = tool_named("pycharm")
    executable = finder(tool)
    if executable is None:
        raise IdeMissing("PyCharm was not found.", hint=tool.install_hint)
    return Launch((str(executable), str(project_root)), f"PyCharm {project_root}")


def plan_gateway(
    alias: str, user: str | None, port: int, remote_path: str, finder: ToolFinder = find_tool
) -> Launch:
    """Gateway with the connect link; the link alone (Toolbox handles it) without Gateway."""
    link = gateway_link(alias, user, port, remote_path)
    executable = finder(tool_named("gateway"))
    if executable is not None:
        return Launch((str(executable), link), f"JetBrains Gateway {link}")
    hint = tool_named("gateway").install_hint
    opener = url_opener()
    if opener is None:
        return Launch(("start", link), link, hint)
    return Launch((*opener, link), link, hint)


def launch(plan: Launch, opener_wait: float = OPENER_WAIT) -> subprocess.Popen[bytes] | None:
    """Start the IDE detached from devtray (it outlives us; it is not supervised, but reaped:
    no zombie is left). A link opener that fails within `opener_wait` seconds raises IdeMissing
    with what to install."""
    if plan.argv[0] == "start" and sys.platform == "win32":
        # The desktop's URL handler; the URL is ours (alias and path are checked/quoted).
        os.startfile(plan.argv[1])  # type: ignore[attr-defined,unused-ignore]  # noqa: S606
        return None
    child = subprocess.Popen(
        list(plan.argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    if plan.if_unopened is not None:
        try:
            status = child.wait(timeout=opener_wait)
        except subprocess.TimeoutExpired:
            status = 0  # still opening (some openers wait for the app): it found one
        if status != 0:
            raise IdeMissing(
                f"Nothing on this computer opened {plan.description} "
                f"({Path(plan.argv[0]).name} exited with status {status}).",
                hint=plan.if_unopened,
            )
    if child.poll() is None:
        threading.Thread(target=child.wait, name="devtray-reap-ide", daemon=True).start()
    return child


def absolute_remote_path(remote_path: str, ssh: Path, alias: str, ssh_config: Path) -> str:
    """`remote_path` with a leading `~` replaced by the VM user's home (asked over ssh once)."""
    if not remote_path.startswith("~"):
        return remote_path
    try:
        result = subprocess.run(
            [str(ssh), *config_option(ssh_config), "-o", "BatchMode=yes", alias, "pwd"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        result = None
    home = result.stdout.strip().splitlines()[-1] if result and result.stdout.strip() else ""
    if not result or result.returncode != 0 or not home.startswith("/"):
        detail = ssh_reason(result.stderr) if result else ""
        raise DevtrayError(
            f"Could not find the home folder on {alias} to open {remote_path}"
            + (f" ({detail})" if detail else ""),
            hint=f"Check `ssh {alias}` works, or set an absolute remote_path in .devtray.toml.",
        )
    return home.rstrip("/") + remote_path[1:]


def plan_open(
    kind: IdeKind,
    project: Project,
    entry: HostEntry | None,
    ssh: Path,
    ssh_config: Path | None = None,
) -> Launch:
    """How to open `project` in `kind`; `entry` is the VM's SSH block entry (remote IDEs)."""
    if kind is IdeKind.PYCHARM:
        return plan_pycharm(project.root)
    if entry is None:
        raise DevtrayError(
            "The VM has no address yet.", hint="Start it first: devtray start --wait"
        )
    remote = absolute_remote_path(
        project.remote_dir(), ssh, entry.alias, ssh_config or ssh_config_path()
    )
    if kind is IdeKind.VSCODE:
        return plan_vscode(entry.alias, remote)
    options = dict(entry.options)
    return plan_gateway(entry.alias, options.get("User"), int(options["Port"]), remote)
