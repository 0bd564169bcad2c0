"""Fixtures of the sync tests: engines against the real sshd, with real rsync and git.

`sync_pair` makes engines of each kind in turn (`engine_name`: the built-in rsync engine and
the agent engine); a test that concerns one engine only parametrizes `engine_name` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.core.project import load_project
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync.agent import AgentEngine
from desktop.remote.sync.builtin import BuiltinEngine, Tuning
from tests.conftest import require_tool
from tests.sshd import SshServer
from tests.sync_helpers import FAST, target_for

ENGINES = {"builtin": BuiltinEngine, "agent": AgentEngine}


@pytest.fixture(params=sorted(ENGINES))
def engine_name(request: pytest.FixtureRequest) -> str:
    """Which engine `sync_pair` makes."""
    return str(request.param)


@pytest.fixture
def sync_pair(
    sshd: SshServer, tmp_path: Path, engine_name: str
) -> Iterator[Callable[..., tuple[BuiltinEngine, Path, Path]]]:
    """Make (engine, local project, remote folder); every engine is stopped at the end."""
    require_tool("rsync", "git")
    engines: list[BuiltinEngine] = []
    supervisor = Supervisor(tmp_path / "children")

    def make(
        project_toml: str = "", tuning: Tuning = FAST, start: bool = True
    ) -> tuple[BuiltinEngine, Path, Path]:
        local = tmp_path / f"project{len(engines)}"
        remote = tmp_path / f"vm{len(engines)}" / "src" / "project"
        local.mkdir()
        if project_toml:
            (local / ".devtray.toml").write_text(project_toml)
        engine = ENGINES[engine_name](
            load_project(local), target_for(sshd, remote), supervisor=supervisor, tuning=tuning
        )
        engines.append(engine)
        if start:
            engine.start()
        return engine, local, remote

    yield make
    for engine in engines:
        engine.stop()
    supervisor.stop_all()
