"""A Docker context per VM (`docker --context ALIAS ...` reaches the VM's daemon over SSH).

No TCP port is exposed and no VPN is needed: Docker runs `ssh ALIAS docker system dial-stdio`,
so it uses the devtray block of ~/.ssh/config like every other tool.
"""

from __future__ import annotations

import enum
import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

from desktop.remote.ssh_config import ALIAS_SUFFIX
from desktop.system.tools import find_tool, tool_named

DOCKER_TIMEOUT = 20.0
DESCRIPTION = "devtray VM over SSH"  # marks the contexts devtray made (and may remove)


class ContextChange(enum.StrEnum):
    """What `ensure_context` did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    FAILED = "failed"


def _docker(docker: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(docker), *args],
        capture_output=True,
        text=True,
        timeout=DOCKER_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def ensure_context(docker: Path, alias: str) -> tuple[ContextChange, str]:
    """Create or refresh the context named `alias` with host `ssh://alias`; (change, detail)."""
    host = f"ssh://{alias}"
    current = _docker(docker, "context", "inspect", alias, "--format", "{{.Endpoints.docker.Host}}")
    if current.returncode == 0 and current.stdout.strip() == host:
        return ContextChange.UNCHANGED, host
    if current.returncode == 0:
        result = _docker(docker, "context", "update", alias, "--docker", f"host={host}")
        change = ContextChange.UPDATED
    else:
        result = _docker(
            docker,
            "context",
            "create",
            alias,
            "--description",
            DESCRIPTION,
            "--docker",
            f"host={host}",
        )
        change = ContextChange.CREATED
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip())[:300]
        return ContextChange.FAILED, f"not set: {detail}"
    return change, host


def stale_contexts(docker: Path, aliases: Iterable[str]) -> list[str]:
    """devtray's contexts (its description, host `ssh://NAME`, NAME an alias) whose VM is not
    among `aliases` any more; the user's own contexts are never listed."""
    listed = _docker(docker, "context", "ls", "--format", "{{json .}}")
    if listed.returncode != 0:
        return []
    keep = set(aliases)
    stale = []
    for line in listed.stdout.splitlines():
        try:
            context = json.loads(line)
        except ValueError:
            continue
        name = context.get("Name") if isinstance(context, dict) else None
        if (
            isinstance(name, str)
            and name.endswith(ALIAS_SUFFIX)
            and name not in keep
            and context.get("Description") == DESCRIPTION
            and context.get("DockerEndpoint") == f"ssh://{name}"
        ):
            stale.append(name)
    return stale


def remove_context(docker: Path, name: str) -> tuple[ContextChange, str]:
    """Remove one stale context; the one in use stays (removing it would switch the user's
    docker to another daemon behind their back): FAILED says how to remove it."""
    result = _docker(docker, "context", "rm", name)
    if result.returncode == 0:
        return ContextChange.REMOVED, "its VM is gone"
    detail = (result.stderr.strip() or result.stdout.strip())[:300]
    return ContextChange.FAILED, (
        f"its VM is gone but it was not removed ({detail}); "
        f"run `docker context use default && docker context rm {name}`"
    )


def ensure_contexts(
    aliases: Iterable[str], *, all_aliases: Iterable[str] | None = None
) -> list[tuple[str, ContextChange, str]]:
    """`ensure_context` for each alias; with `all_aliases` (every VM's alias, addressed or
    not), devtray's contexts of VMs that are gone are removed too. Empty without docker."""
    docker = find_tool(tool_named("docker"))
    if docker is None:
        return []
    wanted = list(aliases)
    results = [(alias, *ensure_context(docker, alias)) for alias in wanted]
    if all_aliases is not None:
        keep = {*wanted, *all_aliases}
        results += [(name, *remove_context(docker, name)) for name in stale_contexts(docker, keep)]
    return results
