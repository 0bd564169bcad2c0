"""A long-lived rsync daemon on the VM, reached through a forward on the shared connection.

Every `ssh host cmd` runs the VM user's shell, and a heavy ~/.bashrc (pyenv, conda, nvm) costs
0.3-0.5 s per rsync-over-ssh run. So after the first sync the engine starts one
`rsync --daemon` on the VM (listening on the VM's loopback only, password-protected with a
random secret) and sends each later run to it through an `ssh -L` forward: no shell per change.

The daemon runs in the foreground of an `ssh -tt` session supervised on the laptop: when that
session ends for any reason (stop, crash, lost network) the VM's pty hangs up and the daemon
exits with it, so nothing is left running on the VM. Until the daemon answers, and whenever it
does not, runs go over plain rsync-over-ssh; the daemon is a shortcut, never a requirement.
"""

from __future__ import annotations

import logging
import secrets
import shlex
import socket
import tempfile
from pathlib import Path

from desktop.remote.supervisor import Backoff, ProcessSpec, ProcessState, Supervised, Supervisor
from desktop.remote.sync.link import SharedConnection
from desktop.remote.sync.rsync import Rsync
from desktop.remote.sync.rules import VM_STATE_DIR
from desktop.remote.sync.target import SshTarget
from desktop.remote.tunnels import free_loopback_port

log = logging.getLogger(__name__)

MODULE = "project"
USER = "devtray"
READY_TIMEOUT = 15.0
GIVE_UP_AFTER = 3
_GREETING = b"@RSYNCD:"


class DaemonRoute:
    """Where a run goes when the daemon is up: `rsync://devtray@127.0.0.1:PORT/project/`."""

    def __init__(
        self, link: SharedConnection, target: SshTarget, supervisor: Supervisor, name: str
    ) -> None:
        self.link = link
        self.target = target
        self._supervisor = supervisor
        self._name = name
        self.secret = secrets.token_hex(16)
        self.remote_port = 20000 + secrets.randbelow(40000)
        self.local_port = free_loopback_port()
        # Inside the project's folder on the VM (relative to the home an ssh session starts in).
        self.config_dir = f"{target.rsync_dir}/{VM_STATE_DIR}/rsyncd"
        self._child: Supervised | None = None

    @property
    def env(self) -> dict[str, str]:
        """What a client run needs in its environment to log in."""
        return {"RSYNC_PASSWORD": self.secret}

    @property
    def ready(self) -> bool:
        """True while the daemon answers through the forward."""
        return self._child is not None and self._child.status.state is ProcessState.READY

    @property
    def started(self) -> bool:
        """True once start() ran (whether or not the daemon came up)."""
        return self._child is not None

    def url(self, subpath: str = "") -> str:
        """The daemon address of `subpath` inside the project folder."""
        return f"rsync://{USER}@127.0.0.1:{self.local_port}/{MODULE}/{subpath}"

    def config_text(self) -> str:
        """rsyncd.conf for the project's module (paths relative to the VM user's home)."""
        return "\n".join(
            [
                "use chroot = no",
                "munge symlinks = no",
                "read only = no",
                "list = no",
                "reverse lookup = no",
                "log file = /dev/null",
                f"[{MODULE}]",
                f"path = {self.target.rsync_dir}",
                f"auth users = {USER}",
                f"secrets file = {self.config_dir}/rsyncd.secrets",
                "strict modes = yes",
                "",
            ]
        )

    def install(self, rsync: Rsync) -> None:
        """Put the daemon's config and secret on the VM (one rsync-over-ssh run, mode 0600)."""
        with tempfile.TemporaryDirectory(prefix="devtray-rsyncd-") as folder:
            (Path(folder) / "rsyncd.conf").write_text(self.config_text(), encoding="utf-8")
            (Path(folder) / "rsyncd.secrets").write_text(f"{USER}:{self.secret}\n")
            rsync.run(
                [
                    "-r",
                    "--mkpath",
                    "--chmod=D700,F600",
                    f"{folder}/",
                    f"{self.target.host}:{self.config_dir}/",
                ]
            )

    def remote_command(self) -> str:
        """The VM-side command: the daemon in the foreground, as the login user."""
        # Values are ours (numbers, a fixed relative path); quoted all the same. Only root's
        # daemon may (and must, or it becomes `nobody`) name its user: a plain user's daemon
        # fails with "setgroups failed" when it does.
        return " ".join(
            [
                'if [ "$(id -u)" = 0 ]; then set -- --dparam=uid=0 --dparam=gid=0; fi;',
                "exec rsync --daemon --no-detach --address=127.0.0.1",
                f"--port={self.remote_port}",
                f"--config={shlex.quote(self.config_dir + '/rsyncd.conf')}",
                '"$@"',
            ]
        )

    def start(self) -> None:
        """Supervise the `ssh -tt -L ... rsync --daemon` session (ready when it greets)."""
        self._child = self._supervisor.start(
            ProcessSpec(
                name=self._name,
                argv=(
                    *self.link.ssh_argv(),
                    "-tt",
                    "-o",
                    "ExitOnForwardFailure=yes",
                    "-L",
                    f"127.0.0.1:{self.local_port}:127.0.0.1:{self.remote_port}",
                    self.target.host,
                    self.remote_command(),
                ),
                ready=self._greets,
                ready_timeout=READY_TIMEOUT,
                backoff=Backoff(initial=0.5, maximum=10.0),
                give_up_after=GIVE_UP_AFTER,
            )
        )

    def _greets(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.local_port), timeout=0.5) as sock:
                sock.settimeout(0.5)
                return sock.recv(len(_GREETING)) == _GREETING
        except OSError:
            return False

    def stop(self) -> None:
        """End the session (the VM's daemon goes with it)."""
        if self._child is not None:
            self._supervisor.stop(self._name)
            self._child = None
