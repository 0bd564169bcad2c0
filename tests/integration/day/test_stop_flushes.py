"""Issue 12 item 21: stopping the VM of a running day flushes its sync first; a stop that
would leave changes behind is refused (the VM keeps running)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from desktop.remote.sync import control
from tests.integration.connect_helpers import moto_vm
from tests.integration.day.helpers import make_project, start_up, vm_state
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer
from tests.sync_helpers import tree

ROOT = Path(__file__).parents[3]


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *argv],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_devtray_stop_flushes_the_days_sync_first(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    vm_id = moto_vm("devbox")
    project, remote = make_project(tmp_path, config_file, sshd)
    up = start_up(project)
    try:
        assert up.stdout is not None
        assert up.stdout.readline().startswith("Ready: ")
        control.ask(project, "pause")
        (project / "main.py").write_text("print('written while sync was paused')\n")

        refused = _cli("stop", "devbox")

        assert refused.returncode == 1
        assert "Not stopping devbox: sync could not finish" in refused.stderr
        assert vm_state(vm_id) == "running"

        control.ask(project, "resume")
        stopped = _cli("stop", "devbox")

        assert stopped.returncode == 0, stopped.stderr
        assert vm_state(vm_id) in ("stopping", "stopped")
        assert tree(remote) == tree(project)  # the VM got the last edit before it stopped
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(30)
