"""A Docker context per VM (`docker --context ALIAS ...` reaches the VM's daemon over SSH).

No TCP port is exposed and no VPN is needed: Docker runs `ssh ALIAS docker system dial-stdio`,
so it uses the devtray block of ~/.ssh/config like every other tool.
"""

from __future__ import annotations

import enum
import subprocess
from collections.abc import Iterable
from pathlib import Path

from desktop.remote.tools import find_tool, tool_named

DOCKER_TIMEOUT = 20.0


class ContextChange(enum.StrEnum):
    """What `ensure_context` did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
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
            "devtray VM over SSH",
            "--docker",
            f"host={host}",
        )
        change = ContextChange.CREATED
    if result.returncode != 0:
        return ContextChange.FAILED, (result.stderr.strip() or result.stdout.strip())[:300]
    return change, host


def ensure_contexts(aliases: Iterable[str]) -> list[tuple[str, ContextChange, str]]:
    """`ensure_context` for each alias; empty when docker is not installed."""
    docker = find_tool(tool_named("docker"))
    if docker is None:
        return []
    return [(alias, *ensure_context(docker, alias)) for alias in aliases]
