"""The way to the simulated demo VM: the `vm_link.VmLink` of a stand-in with no SSH.

Where `standin_vm.StandInVm.simulated` says this computer cannot play the demo VM over SSH,
the day reaches it through this link: "reachable" is the stand-in being up (it boots with the
VM), tunnels are local forwarders to its ports, sync is a local copy into its disk, and the
IDE opens that copy as a local folder (there is no SSH host for Remote-SSH).
"""

from __future__ import annotations

from pathlib import Path

from desktop.core import errors
from desktop.core.project import Project
from desktop.core.provider import CancelToken
from desktop.core.text import Text
from desktop.remote import ide
from desktop.remote.local_forward import LocalForwards
from desktop.remote.ssh_config import HostEntry
from desktop.remote.standin_vm import StandInVm
from desktop.remote.sync.local_copy import LocalCopyEngine
from desktop.remote.vm_link import AnswerListener

_POLL = 0.1


class StandInLink:
    """The simulated demo VM, reached on this computer."""

    def __init__(self, standin: StandInVm, why: Text) -> None:
        self.standin = standin
        self._why = why

    @property
    def simulated(self) -> Text:
        """Why the demo VM is simulated ("no OpenSSH server on this computer")."""
        return self._why

    def wait_reachable(
        self, alias: str, *, within: float, cancel: CancelToken, on_answer: AnswerListener
    ) -> None:
        """Return once the stand-in is up (it starts with the demo VM)."""
        waited = 0.0
        while not self.standin.running:
            if cancel.wait(_POLL):
                raise errors.Cancelled("Cancelled while the demo VM started.")
            waited += _POLL
            if waited >= within:
                raise errors.Offline(f"The simulated demo VM did not come up within {within:g} s.")

    def tunnels(self, alias: str) -> LocalForwards:
        """Forwards to the stand-in's ports on 127.0.0.1."""
        return LocalForwards()

    def sync_engine(self, project: Project, alias: str, *, adopt: bool) -> LocalCopyEngine:
        """The project copied into the stand-in's disk."""
        return LocalCopyEngine(project, self.folder_of(project), adopt=adopt)

    def open_plan(self, kind: ide.IdeKind, project: Project, entry: HostEntry | None) -> ide.Launch:
        """The IDE on the stand-in's copy of the project, as a local folder."""
        return ide.plan_local_folder(kind, self.folder_of(project))

    def folder_of(self, project: Project) -> Path:
        """The project's folder on the stand-in's disk; BadConfig when `remote_path` points
        anywhere else (the simulated VM owns nothing of this computer but its disk)."""
        disk = self.standin.disk.resolve()
        folder = Path(project.remote_dir()).expanduser()
        if not folder.is_absolute() or disk not in folder.resolve().parents:
            raise errors.BadConfig(
                f"remote_path {project.remote_dir()!r} is outside the simulated demo VM's "
                f"disk ({disk}).",
                hint=f"Point remote_path at a folder inside {disk}.",
            )
        return folder
