"""Fixtures of the sync tests: engines against the real sshd, with real rsync and git."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.core.project import load_project
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync.builtin import BuiltinEngine, Tuning
from tests.conftest import require_tool
from tests.sshd import SshServer
from tests.sync_helpers import FAST, target_for


@pytest.fixture
def sync_pair(
    sshd: SshServer, tmp_path: Path
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
        engine = BuiltinEngine(
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
