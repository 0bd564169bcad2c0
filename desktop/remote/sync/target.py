"""Where a project syncs to: the ssh command that reaches the VM, the host, the remote folder."""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.core.errors import BadConfig

_NEEDS_QUOTES = re.compile(r"[\s\"'\\]")


@dataclass(frozen=True)
class SshTarget:
    """How to reach the VM: `ssh_argv` (e.g. `("ssh",)` for a config alias) plus `host`.

    `remote_dir` is the project folder on the VM as `.devtray.toml` names it (`~/src/app`).
    """

    host: str
    remote_dir: str
    ssh_argv: tuple[str, ...] = ("ssh",)

    def __post_init__(self) -> None:
        if not self.host or self.host.startswith("-") or _NEEDS_QUOTES.search(self.host):
            raise BadConfig(f"{self.host!r} is not a usable SSH host name")
        if not self.remote_dir.strip() or "\n" in self.remote_dir:
            raise BadConfig(f"remote_path {self.remote_dir!r} is not a usable folder")

    @property
    def rsync_dir(self) -> str:
        """The remote folder as rsync wants it: `~/x` becomes `x` (rsync starts in $HOME)."""
        path = self.remote_dir
        if path in ("~", "~/"):
            return "."
        if path.startswith("~/"):
            path = path[2:]
        return path.rstrip("/") or "/"

    def remote_spec(self, subpath: str = "") -> str:
        """`host:dir/` (or `host:dir/subpath`) for rsync's command line."""
        return f"{self.host}:{self.rsync_dir}/{subpath}"


def rsh_command(argv: tuple[str, ...] | list[str]) -> str:
    """`argv` as the text of rsync's `-e`, which rsync itself splits (no shell is involved).

    rsync honours single quotes, so arguments with spaces (a config file under "Application
    Support", say) are wrapped in them; an argument holding a single quote cannot be expressed.
    """
    parts = []
    for arg in argv:
        if "'" in arg:
            raise BadConfig(
                f"the ssh argument {arg!r} contains a single quote, which rsync cannot pass on",
                hint="Move the file to a path without quotes.",
            )
        parts.append(f"'{arg}'" if not arg or _NEEDS_QUOTES.search(arg) else arg)
    return " ".join(parts)
