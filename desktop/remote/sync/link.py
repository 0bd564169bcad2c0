"""One shared SSH connection per engine, so each rsync run skips the SSH handshake.

The master is an `ssh -M -N` child run by the supervisor (restarted with back-off when the
connection drops, and after the laptop wakes), never a ControlPersist daemon that would
outlive devtray. rsync runs use `ControlMaster=no`: they ride on the master while it is up and
fall back to a connection of their own when it is not. Windows' OpenSSH has no connection
sharing, so there every run connects afresh.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from desktop.remote.supervisor import Backoff, ProcessSpec, ProcessState, Supervised, Supervisor
from desktop.remote.sync.target import SshTarget

MASTER_READY_TIMEOUT = 15.0
# Seconds of silence before ssh gives up on the VM: how fast "offline" is noticed.
ALIVE_INTERVAL = 3
ALIVE_COUNT = 2


class SharedConnection:
    """The master connection and the ssh command line that uses it."""

    def __init__(self, target: SshTarget, supervisor: Supervisor, name: str) -> None:
        self.target = target
        self.sharing = sys.platform != "win32"
        self._supervisor = supervisor
        self._name = name
        self._child: Supervised | None = None
        # A short private folder: socket paths are limited to ~100 bytes.
        self._dir = Path(tempfile.mkdtemp(prefix="devtray-ssh-"))
        self.control_path = self._dir / "master"

    def ssh_argv(self) -> list[str]:
        """ssh and its options for a run over this connection (without the host)."""
        argv = self._ssh_options()
        if self.sharing:
            argv += ["-o", "ControlMaster=no", "-o", f"ControlPath={self.control_path}"]
        return argv

    def _ssh_options(self) -> list[str]:
        return [
            *self.target.ssh_argv,
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
            "-o",
            f"ServerAliveInterval={ALIVE_INTERVAL}",
            "-o",
            f"ServerAliveCountMax={ALIVE_COUNT}",
        ]

    @property
    def up(self) -> bool:
        """True while the master accepts sessions (always, where there is no sharing)."""
        return not self.sharing or (
            self._child is not None and self._child.status.state is ProcessState.READY
        )

    def open(self, timeout: float) -> bool:
        """Make sure the master is supervised; True once it accepts sessions (within timeout)."""
        if not self.sharing:
            return True
        if self._child is None:
            self._child = self._supervisor.start(
                ProcessSpec(
                    name=self._name,
                    argv=(
                        *self._ssh_options(),
                        "-M",
                        "-N",
                        "-o",
                        "ControlPersist=no",
                        "-o",
                        f"ControlPath={self.control_path}",
                        self.target.host,
                    ),
                    ready=self._accepts,
                    ready_timeout=MASTER_READY_TIMEOUT,
                    backoff=Backoff(initial=0.5, maximum=10.0),
                )
            )
        elif self._child.status.state is ProcessState.RETRYING:
            # The master is dead: a socket it left (killed with -9) would stop the next one.
            with contextlib.suppress(FileNotFoundError):
                self.control_path.unlink()
        return self._child.wait_ready(timeout)

    def _accepts(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.control_path))
            except OSError:
                return False
        return True

    def close(self) -> None:
        """End the master and remove its socket folder."""
        if self._child is not None:
            self._supervisor.stop(self._name)
            self._child = None
        shutil.rmtree(self._dir, ignore_errors=True)
