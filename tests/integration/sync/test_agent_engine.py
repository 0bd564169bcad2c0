"""What the agent engine does beyond the built-in one (replace an agent of another version, the
bootstrap, a VM without python3, a bulk through rsync), and the refusal of a folder that is not
devtray's, which both engines share. Real sshd, ssh and git. (No rsync on the laptop:
`test_up.py`; the owned-folder rule in full: `test_owned_folder.py`.)"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from desktop.core.errors import BadConfig
from desktop.core.project import load_project
from desktop.core.sync_state import SyncPhase
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync import agent, agent_link, agent_vm, ownership
from desktop.remote.sync.agent import AgentEngine
from tests.sshd import SshServer
from tests.sync_helpers import FAST, mark_owned, target_for, tree, wait_until

Make = Callable[..., tuple[AgentEngine, Path, Path]]
AGENT_ONLY = pytest.mark.parametrize("engine_name", ["agent"])


def test_a_remote_folder_that_is_not_devtrays_is_refused_and_left_alone(
    sync_pair: Make,
) -> None:
    engine, local, remote = sync_pair(start=False)
    remote.mkdir(parents=True)
    (remote / "precious.txt").write_text("the user's, not devtray's")
    (local / "precious.txt").write_text("would overwrite it")
    with pytest.raises(ownership.NotOwned, match=r"1 entries devtray did not put there \(precious"):
        engine.start()  # checked before anything starts
    assert (remote / "precious.txt").read_text() == "the user's, not devtray's"
    assert sorted(os.listdir(remote)) == ["precious.txt"]


@AGENT_ONLY
def test_an_agent_of_another_version_is_replaced(
    sync_pair: Make, sshd: SshServer, tmp_path: Path
) -> None:
    engine, local, remote = sync_pair(start=False)
    remote.mkdir(parents=True)
    mark_owned(remote)
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
            'exec(sys.stdin.buffer.read(int(sys.argv[2])), {"__name__": "__main__"})\' '
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


# The VM's login shell, run here without ssh: what `ssh HOST CMD` hands the command to.
VM_SHELL = ["/bin/sh", "-c"]


def test_the_bootstrap_runs_the_checked_script_in_a_posix_shell(tmp_path: Path) -> None:
    mark_owned(tmp_path)
    channel = agent_link.AgentChannel(VM_SHELL, str(tmp_path), 7)
    try:
        channel.open()
        assert channel.version == agent_vm.VERSION
        assert channel.pid is not None
        assert (tmp_path / agent_vm.PID_FILE).exists()  # the agent wrote where it was sent
    finally:
        channel.close()


def test_a_vm_without_python3_is_named_as_the_problem(tmp_path: Path) -> None:
    channel = agent_link.AgentChannel(
        ["env", "PATH=/nonexistent", *VM_SHELL], str(tmp_path / "app"), 7
    )
    with pytest.raises(BadConfig, match="no python3") as raised:
        channel.open()
    assert raised.value.hint is not None
    assert "Install python3 (3.8 or newer)" in raised.value.hint
    assert not (tmp_path / "app").exists()


def test_a_first_sync_of_many_files_with_rsync_at_hand(sshd: SshServer, tmp_path: Path) -> None:
    local, remote = tmp_path / "project", tmp_path / "vm" / "project"
    for i in range(agent.BULK_FILES + 50):
        (local / f"d{i % 7}").mkdir(parents=True, exist_ok=True)
        (local / f"d{i % 7}" / f"f{i}.txt").write_text(f"file {i}")
    (local / "run.sh").write_text("#!/bin/sh\n")
    (local / "run.sh").chmod(0o755)
    (local / "up").symlink_to("../elsewhere")  # refused by the agent, never sent by rsync
    supervisor = Supervisor(tmp_path / "children")
    engine = AgentEngine(
        load_project(local),
        target_for(sshd, remote),
        supervisor=supervisor,
        tuning=FAST,
        rsync_path=shutil.which("rsync"),
    )
    try:
        engine.start()
        assert engine.flush(timeout=60).phase is SyncPhase.WATCHING
        expected = tree(local)
        del expected["up"]
        assert tree(remote) == expected
        assert engine.refused == {"up"}
    finally:
        engine.stop()
        supervisor.stop_all()
