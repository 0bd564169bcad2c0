"""`devtray sync ...` talking to an engine running in another part of the process."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.cli.main import main
from desktop.core.config import Config
from desktop.remote.sync.builtin import BuiltinEngine
from desktop.remote.sync.control import ControlServer, registry_path
from desktop.services.registry import Services
from tests.sync_helpers import tree

Make = Callable[..., tuple[BuiltinEngine, Path, Path]]


def _services() -> Services:
    return Services(config=Config(), providers=lambda: [])


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run `devtray ARGV`; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), _services, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def served(sync_pair: Make) -> Iterator[tuple[BuiltinEngine, Path, Path]]:
    engine, local, remote = sync_pair()
    server = ControlServer(engine, local, os.getpid())
    server.start()
    yield engine, local, remote
    server.stop()


def test_status_pause_resume_and_flush(served: tuple[BuiltinEngine, Path, Path]) -> None:
    _, local, remote = served
    code, out, _ = run_cli("sync", "flush", str(local))
    assert code == 0
    assert "watching" in out

    code, out, _ = run_cli("sync", "pause", str(local), "--json")
    assert code == 0
    assert json.loads(out)["phase"] == "paused"
    (local / "while-paused.txt").write_text("waits")
    code, out, _ = run_cli("sync", "status", str(local), "--json")
    status = json.loads(out)
    assert status["running"] is True
    assert status["phase"] == "paused"
    assert not (remote / "while-paused.txt").exists()

    assert run_cli("sync", "resume", str(local))[0] == 0
    code, out, _ = run_cli("sync", "flush", str(local), "--json", "--timeout", "30")
    assert code == 0, out
    assert json.loads(out)["unsynced_changes"] is False
    assert tree(remote) == tree(local)


def test_no_running_sync_is_a_clear_message(tmp_path: Path) -> None:
    code, _, err = run_cli("sync", "status", str(tmp_path))
    assert code == 1
    assert "No sync is running" in err
    assert "devtray up" in err
    code, out, _ = run_cli("sync", "flush", str(tmp_path), "--json")
    assert code == 1
    assert json.loads(out) == {"root": str(tmp_path.resolve()), "running": False}


def test_a_stale_record_is_ignored_and_removed(tmp_path: Path) -> None:
    record = registry_path(tmp_path)
    record.parent.mkdir(parents=True, exist_ok=True)
    # A port nothing listens on: the process that wrote this record died.
    record.write_text(json.dumps({"root": str(tmp_path), "port": 9, "token": "x", "pid": 1}))
    code, _, err = run_cli("sync", "status", str(tmp_path))
    assert code == 1
    assert "No sync is running" in err
    assert not record.exists()
