"""`devtray up`: moto VM + real sshd + real rsync; Ready, syncing, Ctrl-C leaves no child."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from desktop.core.sync_state import SyncPhase
from desktop.remote.sync import control
from tests.integration.connect_helpers import devtray, moto_vm, write_config
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer
from tests.sync_helpers import tree, wait_until


def _children_of_this_run(markers: tuple[str, ...]) -> list[str]:
    """ssh/rsync processes whose command line names this test's folders (none must outlive)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status", "name"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["status"] == psutil.STATUS_ZOMBIE or process.pid == os.getpid():
            continue
        if process.info["name"] in ("ssh", "rsync") and any(m in cmdline for m in markers):
            found.append(cmdline)
    return found


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _path_without_rsync(tmp_path: Path) -> str:
    """A PATH holding only what a Windows laptop has: ssh and git (no rsync)."""
    folder = tmp_path / "bin-no-rsync"
    folder.mkdir()
    for tool in ("ssh", "git"):
        found = shutil.which(tool)
        assert found is not None
        (folder / tool).symlink_to(found)
    return str(folder)


# Where the laptop has rsync, `auto` takes the built-in engine; without (Windows), the agent.
@pytest.mark.parametrize(("laptop", "engine"), [("rsync", "builtin"), ("no-rsync", "agent")])
def test_up_syncs_then_ctrl_c_stops_everything(
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
    isolated_home: Path,
    tmp_path: Path,
    laptop: str,
    engine: str,
) -> None:
    moto_vm("devbox")
    write_config(config_file, sshd)
    project = tmp_path / "project"
    remote = tmp_path / "vm" / "app"
    project.mkdir()
    (project / ".devtray.toml").write_text(f'remote_path = "{remote}"\n')
    (project / "main.py").write_text("print('day one')\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "up", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(Path(__file__).parents[3]),
            **({"PATH": _path_without_rsync(tmp_path)} if laptop == "no-rsync" else {}),
        },
        # A terminal delivers Ctrl-C; a gate run as a background job has SIGINT ignored, and
        # children inherit that, so give `up` the default a person's shell gives it.
        preexec_fn=_default_sigint,
        process_group=0,  # so cleanup below can end its ssh and rsync children too
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if process.poll() is not None:
            raise AssertionError(process.stderr.read() if process.stderr else "")
        assert line == f"Ready: devbox.devtray {remote}\n"
        assert tree(remote) == tree(project)

        (project / "main.py").write_text("print('day one, edited')\n")
        wait_until(lambda: tree(remote) == tree(project), what="edit on the VM")
        status = control.ask(project, "flush")
        assert status is not None
        assert status.phase is SyncPhase.WATCHING
        assert status.engine == engine
        assert _children_of_this_run((str(isolated_home), str(project)))  # sync is running
        # A second `up` (or the tray) for the same project refuses to sync it twice.
        code, _, err = devtray("up", str(project))
        assert code == 1
        assert "initial sync" in err
        assert "already being synced" in err

        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
        assert process.stderr is not None
        progress = process.stderr.read()
        for step in ("checking sign-in", "writing the SSH config", "waiting for SSH", "initial"):
            assert step in progress
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert _children_of_this_run((str(isolated_home), str(project))) == []
    assert control.ask(project, "status") is None
