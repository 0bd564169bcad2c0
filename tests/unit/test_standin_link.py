"""When the demo VM is simulated, and what its link refuses and opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.errors import BadConfig
from desktop.core.project import Project
from desktop.remote import ide
from desktop.remote.standin_link import StandInLink
from desktop.remote.standin_vm import StandInVm, Which, missing_for_ssh


def _only(*names: str) -> ide.ToolFinder:
    """A program lookup that knows `names` only (each at /opt/fake/NAME)."""
    return lambda tool: Path(f"/opt/fake/{tool.name}") if tool.name in names else None


def _which(*names: str) -> Which:
    return lambda name: f"/opt/fake/{name}" if name in names else None


@pytest.mark.parametrize(
    ("installed", "why"),
    [
        (("ssh", "ssh-keygen", "rsync"), "no OpenSSH server on this computer"),
        (("sshd", "rsync"), "no OpenSSH client on this computer"),
        (("sshd", "ssh", "ssh-keygen"), "no rsync on this computer"),
        (("sshd", "ssh", "ssh-keygen", "rsync"), None),
    ],
)
def test_the_demo_vm_is_simulated_when_a_piece_of_ssh_is_missing(
    installed: tuple[str, ...], why: str | None
) -> None:
    found = missing_for_ssh(_which(*installed))
    assert (str(found) if found else None) == why


def test_the_simulated_vm_syncs_only_into_its_own_disk(tmp_path: Path) -> None:
    standin = StandInVm(tmp_path / "standin", which=lambda _name: None)
    why = missing_for_ssh(lambda _name: None)
    assert why is not None
    link = StandInLink(standin, why)
    inside = Project(root=tmp_path / "app", remote_path=str(standin.disk / "app"))
    assert link.folder_of(inside) == standin.disk / "app"
    for remote in ("~/app", str(tmp_path / "elsewhere"), str(standin.disk / ".." / "x")):
        with pytest.raises(BadConfig, match="outside the simulated demo VM's disk"):
            link.folder_of(Project(root=tmp_path / "app", remote_path=remote))


def test_the_ide_opens_the_copy_as_a_local_folder(tmp_path: Path) -> None:
    folder = tmp_path / "disk" / "app"
    vscode = ide.plan_local_folder(ide.IdeKind.VSCODE, folder, _only("cursor", "pycharm"))
    assert vscode.argv == ("/opt/fake/cursor", str(folder))
    for kind in (ide.IdeKind.PYCHARM, ide.IdeKind.GATEWAY):  # Gateway needs an SSH host
        plan = ide.plan_local_folder(kind, folder, _only("pycharm"))
        assert plan.argv == ("/opt/fake/pycharm", str(folder))
    with pytest.raises(ide.IdeMissing, match="PyCharm was not found"):
        ide.plan_local_folder(ide.IdeKind.PYCHARM, folder, _only())
