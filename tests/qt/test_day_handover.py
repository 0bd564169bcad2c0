"""One owner of the day: `devtray up` hands the day to a running tray (offscreen, a child
process, built by the composition root as in production) against moto and the loopback sshd;
Ctrl-C (SIGTERM) detaches and the tray keeps syncing; `devtray down` ends the day; a tray
that restarts brings a running day back without a click."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from desktop.remote.supervisor import default_log_dir, reap_orphans
from desktop.remote.sync import control
from desktop.services.handover import server_name, socket_path
from tests.integration.connect_helpers import moto_vm
from tests.integration.day.helpers import make_project, stop_in_moto, vm_state
from tests.integration.sync.test_up import _children_of_this_run
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer
from tests.sync_helpers import tree, wait_until

ROOT = Path(__file__).parents[2]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}


@contextlib.contextmanager
def running_tray() -> Iterator[subprocess.Popen[str]]:
    """`devtray` (the tray) in a child process, until the block ends (then killed, as a
    crash would; the next tray's supervisor reaps what it left)."""
    socket_path(server_name()).unlink(missing_ok=True)
    tray = subprocess.Popen(
        [sys.executable, "-m", "desktop"],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            lambda: socket_path(server_name()).exists() or tray.poll() is not None,
            timeout=30,
            what="the tray listening",
        )
        assert tray.poll() is None, tray.stderr.read() if tray.stderr else ""
        yield tray
    finally:
        tray.kill()
        tray.wait(10)
        reap_orphans(default_log_dir())  # what a killed tray left (a test must not leak)


def _up(project: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", "up", str(project)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *argv],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _syncing(project: Path) -> bool:
    return control.ask(project, "status") is not None


def test_up_hands_the_day_to_the_tray_and_down_ends_it(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    vm_id = moto_vm("devbox")
    stop_in_moto(vm_id)
    project, remote = make_project(tmp_path, config_file, sshd)

    with running_tray() as tray:
        up = _up(project)
        try:
            assert up.stdout is not None
            line = up.stdout.readline()
            assert line == f"Ready: devbox.devtray {remote}\n", (
                up.stderr.read() if up.stderr else ""
            )
            assert vm_state(vm_id) == "running"
            assert tree(remote) == tree(project)

            up.send_signal(signal.SIGTERM)  # Ctrl-C, as a background job gets it
            assert up.wait(30) == 0
        finally:
            if up.poll() is None:
                up.kill()
        assert up.stderr is not None
        progress = up.stderr.read()
        for step in (
            "checking sign-in",
            "starting devbox (now stopped)",
            "writing the SSH config",
            "waiting for SSH on devbox.devtray",
            "initial sync to devbox.devtray:",
            "detached; the tray keeps the day.",
        ):
            assert step in progress

        # The tray kept the day: its sync still carries edits.
        (project / "main.py").write_text("print('edited after the terminal left')\n")
        wait_until(lambda: tree(remote) == tree(project), timeout=20, what="edit on the VM")
        assert tray.poll() is None

        down = _cli("down")
        assert down.returncode == 0, down.stderr
        assert down.stdout.startswith("Today: ")
        assert vm_state(vm_id) in ("stopping", "stopped")
        assert not _syncing(project)
        assert _children_of_this_run((str(project),)) == []


def _up_until_ready(project: Path) -> None:
    """`devtray up` until Ready, then detached (SIGTERM)."""
    up = _up(project)
    try:
        assert up.stdout is not None
        line = up.stdout.readline()
        assert line.startswith("Ready: "), up.stderr.read() if up.stderr else ""
        up.send_signal(signal.SIGTERM)
        assert up.wait(30) == 0
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


def test_a_running_day_comes_back_after_a_tray_restart(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    moto_vm("devbox")
    project, remote = make_project(tmp_path, config_file, sshd)
    with running_tray():
        _up_until_ready(project)
        assert _syncing(project)
    # The tray died (killed, as a crash): its sync went with it.
    wait_until(lambda: not _syncing(project), timeout=10, what="the sync gone with the tray")

    with running_tray():
        # No click, no `up`: the tray finds the VM running and the day recorded.
        wait_until(lambda: _syncing(project), timeout=30, what="the day resumed")
        (project / "main.py").write_text("print('after the restart')\n")
        wait_until(lambda: tree(remote) == tree(project), timeout=20, what="edit on the VM")
        assert _cli("down").returncode == 0
    assert _children_of_this_run((str(project),)) == []
