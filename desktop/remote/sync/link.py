"""One shared SSH connection per engine, so each rsync run skips the SSH handshake.

The master is an `ssh -M -N` child owned by the engine (never a ControlPersist daemon that
would outlive it). rsync runs use `ControlMaster=no`: they ride on the master while it is up
and fall back to a connection of their own when it is not. Windows' OpenSSH has no connection
sharing, so there every run connects afresh.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from desktop.remote.sync import children
from desktop.remote.sync.target import SshTarget

MASTER_READY_TIMEOUT = 10.0
# Seconds of silence before ssh gives up on the VM: how fast "offline" is noticed.
ALIVE_INTERVAL = 3
ALIVE_COUNT = 2


class SharedConnection:
    """The master connection and the ssh command line that uses it."""

    def __init__(self, target: SshTarget, log_path: Path | None = None) -> None:
        self.target = target
        self.sharing = sys.platform != "win32"
        self._log_path = log_path
        self._master: subprocess.Popen[bytes] | None = None
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
        """True while the master process runs (or when there is no sharing to do)."""
        return not self.sharing or (self._master is not None and self._master.poll() is None)

    def open(self) -> bool:
        """Start the master if it is not running; True once it accepts sessions."""
        if not self.sharing:
            return True
        if self.up and self.control_path.exists():
            return True
        self._close_master()
        with contextlib.suppress(FileNotFoundError):
            self.control_path.unlink()
        log = self._log_path.open("ab") if self._log_path else None
        try:
            self._master = children.spawn(
                [
                    *self._ssh_options(),
                    "-M",
                    "-N",
                    "-o",
                    "ControlPersist=no",
                    "-o",
                    f"ControlPath={self.control_path}",
                    self.target.host,
                ],
                stderr=log if log else subprocess.DEVNULL,
            )
        finally:
            if log:
                log.close()
        deadline = time.monotonic() + MASTER_READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._master.poll() is not None:
                return False
            if self.control_path.exists():
                return True
            time.sleep(0.02)
        self._close_master()
        return False

    def close(self) -> None:
        """End the master and remove its socket folder."""
        self._close_master()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _close_master(self) -> None:
        if self._master is not None:
            children.end(self._master)
            self._master = None
