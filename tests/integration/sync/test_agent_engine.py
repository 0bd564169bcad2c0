"""What only the agent engine does: sync with no rsync on the laptop, refuse a folder that is
not devtray's, replace an agent of another version. Real sshd, ssh and git; no rsync used."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from desktop.core.sync_state import SyncPhase
from desktop.remote.sync import agent_link, agent_vm, control
from desktop.remote.sync.agent import AgentEngine
from tests.integration.connect_helpers import moto_vm, write_config
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer
from tests.sync_helpers import target_for, tree, wait_until

Make = Callable[..., tuple[AgentEngine, Path, Path]]
AGENT_ONLY = pytest.mark.parametrize("engine_name", ["agent"])


def _path_without_rsync(tmp_path: Path) -> str:
    """A PATH holding only what a Windows laptop has: ssh and git (and no rsync)."""
    folder = tmp_path / "bin-no-rsync"
    folder.mkdir()
    for tool in ("ssh", "git"):
        found = subprocess.run(["which", tool], capture_output=True, text=True, check=True)
        (folder / tool).symlink_to(found.stdout.strip())
    return str(folder)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_up_without_rsync_on_the_laptop_syncs_through_the_agent(
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    isolated_home: Path,
    tmp_path: Path,
) -> None:
    moto_vm("devbox")
    write_config(config_file, sshd)
    project = tmp_path / "project"
    remote = tmp_path / "vm" / "app"
    project.mkdir()
    (project / ".devtray.toml").write_text(f'remote_path = "{remote}"\n')
    (project / "main.py").write_text("print('windows laptop')\n")
    (project / "tool.sh").write_text("#!/bin/sh\n")
    (project / "tool.sh").chmod(0o755)
    path = _path_without_rsync(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "up", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PATH": path, "PYTHONPATH": str(Path(__file__).parents[3])},
        preexec_fn=_default_sigint,
        process_group=0,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if process.poll() is not None:
            raise AssertionError(process.stderr.read() if process.stderr else "")
        assert line == f"Ready: devbox.devtray {remote}\n"
        assert tree(remote) == tree(project)
        (project / "main.py").write_text("print('edited')\n")
        (project / "new.txt").write_text("new")
        wait_until(lambda: tree(remote) == tree(project), what="edits on the VM")
        status = control.ask(project, "flush")
        assert status is not None
        assert status.engine == "agent"
        assert status.phase is SyncPhase.WATCHING
        assert not any(p.name() == "rsync" for p in psutil.Process(process.pid).children(True))
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert control.ask(project, "status") is None


@AGENT_ONLY
def test_a_remote_folder_that_is_not_devtrays_is_refused_and_left_alone(
    sync_pair: Make,
) -> None:
    engine, local, remote = sync_pair(start=False)
    remote.mkdir(parents=True)
    (remote / "precious.txt").write_text("the user's, not devtray's")
    (local / "precious.txt").write_text("would overwrite it")
    engine.start()
    status = engine.flush(timeout=30)  # returns at once: waiting would not help
    assert status.phase is SyncPhase.ERROR, status
    assert status.reason is not None
    assert "did not put there" in status.reason
    assert ".devtray/owned" in status.reason
    assert (remote / "precious.txt").read_text() == "the user's, not devtray's"
    assert sorted(os.listdir(remote)) == ["precious.txt"]


@AGENT_ONLY
def test_an_agent_of_another_version_is_replaced(
    sync_pair: Make, sshd: SshServer, tmp_path: Path
) -> None:
    engine, local, remote = sync_pair(start=False)
    # An older devtray left its agent running for this folder (its link is still open).
    source = (
        Path(agent_vm.__file__)
        .read_text()
        .replace(f"VERSION = {agent_vm.VERSION}\n", "VERSION = 0\n")
    )
    assert "VERSION = 0\n" in source
    old = subprocess.Popen(
        [
            *target_for(sshd, remote).ssh_argv,
            "127.0.0.1",
            "python3 -c 'import sys; "
            "exec(sys.stdin.buffer.read(int(sys.argv[2])), {\"__name__\": \"__main__\"})' "
            f"{agent_link.MARKER}-0 {len(source.encode())}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert old.stdin is not None and old.stdout is not None
        old.stdin.write(source.encode())
        old.stdin.write(agent_vm.frame({"op": "hello", "id": 1, "root": str(remote)}))
        old.stdin.flush()
        assert agent_vm.read_frame(old.stdout)[0]["agent"] == 0  # type: ignore[index]
        hello = agent_vm.read_frame(old.stdout)[0]  # type: ignore[index]
        assert hello["version"] == 0
        old_pid = int(hello["pid"])
        (local / "app.py").write_text("v1")
        engine.start()
        assert engine.flush(timeout=30).phase is SyncPhase.WATCHING
        wait_until(lambda: not psutil.pid_exists(old_pid), what="the old agent to end")
        record = json.loads((remote / ".devtray" / "agent.json").read_text())
        assert record == {"pid": engine.agent_pid, "version": agent_vm.VERSION}
        assert tree(remote) == tree(local)
    finally:
        with contextlib.suppress(ProcessLookupError):
            old.kill()
        old.wait(10)
