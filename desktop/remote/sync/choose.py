"""Which engine syncs a project: `[sync] engine = "auto" | "builtin" | "agent" | "mutagen"`.

`auto` takes the built-in engine wherever rsync exists (what CI exercises, and the one that
keeps a trash on the VM), the agent engine where rsync is missing (Windows, usually: it needs
only ssh and git on the laptop, python3 on the VM), and Mutagen when the project asks for
two-way sync, which only Mutagen does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import platformdirs

from desktop.core.config import APP_NAME
from desktop.core.errors import BadConfig
from desktop.core.project import Project
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync.agent import AgentEngine
from desktop.remote.sync.builtin import BuiltinEngine
from desktop.remote.sync.engine import SyncEngine
from desktop.remote.sync.mutagen import MutagenEngine
from desktop.remote.sync.target import SshTarget
from desktop.system.tools import Tool, find_tool, tool_named

Finder = Callable[[Tool], Path | None]


def engine_kind(project: Project, find: Finder = find_tool) -> str:
    """`builtin`, `agent` or `mutagen` for this project on this machine; BadConfig when none
    can run."""
    wanted = project.sync.engine
    two_way = project.sync.mode != "one-way-replica"
    has_rsync = find(tool_named("rsync")) is not None
    has_mutagen = find(tool_named("mutagen")) is not None
    if wanted == "agent" or (wanted == "auto" and not has_rsync and not two_way):
        if two_way:
            raise BadConfig(
                f"the agent sync engine only syncs one way, not {project.sync.mode}",
                hint='Install Mutagen and set [sync] engine = "mutagen" (or "auto").',
            )
        return "agent"
    if wanted == "builtin" or (wanted == "auto" and has_rsync and not two_way):
        if two_way:
            raise BadConfig(
                f"the built-in sync engine only syncs one way, not {project.sync.mode}",
                hint='Install Mutagen and set [sync] engine = "mutagen" (or "auto").',
            )
        if not has_rsync:
            raise BadConfig("rsync was not found", hint=tool_named("rsync").install_hint)
        return "builtin"
    if not has_mutagen:
        needs = "two-way sync needs Mutagen" if two_way else "Mutagen was not found"
        raise BadConfig(needs, hint=tool_named("mutagen").install_hint)
    return "mutagen"


def create_engine(
    project: Project,
    target: SshTarget,
    supervisor: Supervisor,
    find: Finder = find_tool,
    *,
    adopt: bool = False,
) -> SyncEngine:
    """The engine `engine_kind` picks, ready to start. With `adopt`, a VM folder holding
    files devtray did not put there is taken over (they go to its trash) instead of refused."""
    kind = engine_kind(project, find)
    if kind == "agent":
        rsync = find(tool_named("rsync"))
        return AgentEngine(
            project,
            target,
            supervisor=supervisor,
            rsync_path=str(rsync) if rsync else None,
            adopt=adopt,
        )
    if kind == "builtin":
        rsync = find(tool_named("rsync"))
        return BuiltinEngine(
            project, target, supervisor=supervisor, rsync_path=str(rsync), adopt=adopt
        )
    mutagen = find(tool_named("mutagen"))
    assert mutagen is not None  # engine_kind checked
    data_dir = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "mutagen"
    return MutagenEngine(
        project, target, mutagen=mutagen, data_dir=data_dir, supervisor=supervisor, adopt=adopt
    )
