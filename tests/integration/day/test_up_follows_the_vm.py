"""A `devtray up` that runs its own day (no tray) notices its VM stopped elsewhere (the
console, the cloud, an auto-stop on the VM): it ends sync and tunnels and says so, instead of
retrying a VM that is gone until someone presses Ctrl-C."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from desktop.remote.tunnels import port_accepts
from tests.integration.connect_helpers import moto_vm
from tests.integration.day.helpers import make_project, start_up, stop_in_moto
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer, free_port


def test_up_ends_its_day_when_the_vm_is_stopped_elsewhere(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    vm_id = moto_vm("devbox")
    local = free_port()
    project, _ = make_project(
        tmp_path, config_file, sshd, ports=(f"{local}:127.0.0.1:{sshd.port}",)
    )
    text = config_file.read_text().replace(
        "fast_seconds = 0.05\n", "fast_seconds = 0.05\nslow_seconds = 0.5\n"
    )
    config_file.write_text(text)
    up = start_up(project)
    try:
        assert up.stdout is not None
        assert up.stdout.readline().startswith("Ready: ")
        assert port_accepts(local)  # the day's tunnel

        stop_in_moto(vm_id)  # "elsewhere": straight in the cloud, not through devtray

        # Before the fix `up` kept going until Ctrl-C: this wait timed out.
        _, stderr = up.communicate(timeout=30)
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
            up.communicate()

    assert up.returncode == 1
    assert "devbox stopped outside this `devtray up`" in stderr
    assert "sync and tunnels ended" in stderr
    assert f"devtray up {project}" in stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while port_accepts(local) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not port_accepts(local)  # the tunnel ended with the day
