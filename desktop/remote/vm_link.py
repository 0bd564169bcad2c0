"""How the day reaches its VM: one small seam the connect and sync services take.

`SshLink` is the real thing: `ssh ALIAS true` until it gets in, `ssh -N -L` tunnels under the
supervisor, a sync engine over ssh (`choose.create_engine`), the IDE opened through Remote-SSH.
The demo's stand-in on a computer without OpenSSH or rsync is reached through another link
(`standin_link.StandInLink`) with the same four verbs, chosen once by the composition root,
so the day runs the same steps in the same order either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from desktop.core.forwards import Forward
from desktop.core.project import Project
from desktop.core.provider import CancelToken
from desktop.core.text import Text
from desktop.remote import ide
from desktop.remote.ssh_config import HostEntry
from desktop.remote.ssh_probe import ProbeAnswer, wait_for_ssh
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync.choose import create_engine
from desktop.remote.sync.engine import SyncEngine
from desktop.remote.sync.target import SshTarget
from desktop.remote.tunnels import Tunnels, TunnelStatus, TunnelTraffic
from desktop.system.tools import required_tool

AnswerListener = Callable[[int, ProbeAnswer], None]


class TunnelSet(Protocol):
    """One VM's running forwards, as the Tunnels row and the day read them."""

    def start(self, forwards: Sequence[Forward]) -> None:
        """Start every forward (PortInUse before anything starts if a local port is taken)."""
        ...

    def wait_ready(self, timeout: float) -> bool:
        """True once every forward is up (within `timeout` seconds)."""
        ...

    def statuses(self) -> list[TunnelStatus]:
        """Each forward's state and reason."""
        ...

    def traffic(self) -> TunnelTraffic:
        """What went through the forwards since the previous call."""
        ...

    def stop(self) -> None:
        """Stop every forward; nothing is left listening."""
        ...


class VmLink(Protocol):
    """What the day needs of the way to its VM."""

    @property
    def simulated(self) -> Text | None:
        """Why this VM is simulated on this computer ("no OpenSSH server on this computer");
        None for a VM reached for real."""
        ...

    def wait_reachable(
        self, alias: str, *, within: float, cancel: CancelToken, on_answer: AnswerListener
    ) -> None:
        """Return once the VM answers (Offline after `within` s, Cancelled on `cancel`)."""
        ...

    def tunnels(self, alias: str) -> TunnelSet:
        """Forwards to the VM (not started yet)."""
        ...

    def sync_engine(self, project: Project, alias: str, *, adopt: bool) -> SyncEngine:
        """The engine that keeps `project` on the VM (not started yet)."""
        ...

    def open_plan(self, kind: ide.IdeKind, project: Project, entry: HostEntry | None) -> ide.Launch:
        """How `kind` opens `project` on the VM."""
        ...


class SshLink:
    """The VM over OpenSSH, through the alias of the SSH block in `ssh_config()`."""

    simulated: Text | None = None

    def __init__(self, supervisor: Supervisor, ssh_config: Callable[[], Path]) -> None:
        self.supervisor = supervisor
        self.ssh_config = ssh_config

    def wait_reachable(
        self, alias: str, *, within: float, cancel: CancelToken, on_answer: AnswerListener
    ) -> None:
        """`ssh ALIAS true` until it gets in (see `ssh_probe.wait_for_ssh`)."""
        wait_for_ssh(
            required_tool("ssh"),
            self.ssh_config(),
            alias,
            within=within,
            cancel=cancel,
            on_answer=on_answer,
        )

    def tunnels(self, alias: str) -> Tunnels:
        """One supervised `ssh -N -L` per forward."""
        return Tunnels(self.supervisor, required_tool("ssh"), alias, ssh_config=self.ssh_config())

    def sync_engine(self, project: Project, alias: str, *, adopt: bool) -> SyncEngine:
        """The engine `[sync] engine` picks, over the alias's ssh."""
        target = SshTarget(
            host=alias,
            remote_dir=project.remote_dir(),
            ssh_argv=(str(required_tool("ssh")), "-F", str(self.ssh_config())),
        )
        return create_engine(project, target, self.supervisor, adopt=adopt)

    def open_plan(self, kind: ide.IdeKind, project: Project, entry: HostEntry | None) -> ide.Launch:
        """Remote-SSH / Gateway on the VM's folder, PyCharm on the local one."""
        return ide.plan_open(kind, project, entry, required_tool("ssh"), self.ssh_config())
