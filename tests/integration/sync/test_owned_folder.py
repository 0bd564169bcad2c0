"""The owned-folder rule against a throwaway VM user: nothing of theirs outside the folder
devtray owns is ever deleted, overwritten or moved (issue 12, item 1)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.core.project import load_project
from desktop.core.sync_state import SyncPhase
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync import control, ownership
from desktop.remote.sync.agent import AgentEngine
from desktop.remote.sync.builtin import BuiltinEngine
from desktop.remote.sync.target import SshTarget
from tests.integration.connect_helpers import moto_vm, write_config
from tests.integration.sync.conftest import VmUser
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer
from tests.sync_helpers import FAST, tree

REPO = Path(__file__).parents[3]
UP_TIMEOUT = 120


def _project(tmp_path: Path, remote_path: str, engine: str = "auto") -> Path:
    project = tmp_path / "laptop-app"
    project.mkdir()
    (project / ".devtray.toml").write_text(
        f"remote_path = {json.dumps(remote_path)}\n[sync]\nengine = {json.dumps(engine)}\n"
    )
    (project / "main.py").write_text("print('laptop')\n")
    return project


@pytest.fixture
def devbox(moto: MotoEndpoint, vm_sshd: SshServer, config_file: Path) -> None:
    """A moto VM `devbox` whose SSH address is the loopback sshd of the throwaway VM user."""
    moto_vm("devbox")
    write_config(config_file, vm_sshd)


def _up(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", "up", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        process_group=0,
    )


def _target(sshd: SshServer, remote_dir: str) -> SshTarget:
    return SshTarget(host="127.0.0.1", remote_dir=remote_dir, ssh_argv=("ssh", *sshd.ssh_args()))


@pytest.mark.parametrize(
    ("remote_path", "said"),
    [
        ("~", "remote_path '~' is the VM user's home"),  # refused when .devtray.toml loads
        ("{home}", "is the VM user's home folder"),
        ("~/src", "holds 2 entries devtray did not put there (app, other)"),
        ("~/src/app", "holds 2 entries devtray did not put there (.git, app.py)"),
    ],
)
def test_up_refuses_a_folder_it_does_not_own_and_changes_nothing(
    remote_path: str, said: str, devbox: None, vm_user: VmUser, tmp_path: Path
) -> None:
    project = _project(tmp_path, remote_path.format(home=vm_user.home))
    before = tree(vm_user.home, skip=())
    keys = (vm_user.home / ".ssh" / "authorized_keys").read_bytes()

    result = subprocess.run(
        [sys.executable, "-m", "desktop", "up", str(project)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=UP_TIMEOUT,
    )

    assert result.returncode == 2, result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    if remote_path.startswith("~/src"):
        assert "devtray up --adopt" in result.stderr
        assert str(vm_user.home / remote_path[2:]) in result.stderr  # the folder, named
    assert tree(vm_user.home, skip=()) == before
    assert (vm_user.home / ".ssh" / "authorized_keys").read_bytes() == keys


@pytest.mark.parametrize(
    ("remote_dir", "reason"),
    [
        ("~/.ssh/project", "is inside ~/.ssh"),
        ("~/home-link", "is the VM user's home folder"),  # a symlink to the home
        ("~/home-link/.ssh", "is inside ~/.ssh"),
        ("{parent}", "is a parent of the VM user's home folder"),
        ("~/root-link", "is the root folder"),  # a symlink to /
        ("~/src/other", "holds 2 entries"),
    ],
)
def test_the_check_refuses_the_home_its_parents_ssh_and_foreign_folders(
    remote_dir: str, reason: str, vm_user: VmUser, vm_sshd: SshServer
) -> None:
    (vm_user.home / "home-link").symlink_to(vm_user.home)
    (vm_user.home / "root-link").symlink_to("/")
    before = tree(vm_user.home, skip=())
    with pytest.raises(ownership.NotOwned, match=reason):
        ownership.claim(
            ["ssh", *vm_sshd.ssh_args()],
            "127.0.0.1",
            remote_dir.format(parent=vm_user.home.parent),
            "app",
        )
    assert tree(vm_user.home, skip=()) == before


def test_a_new_or_empty_folder_is_claimed_marked_and_synced(
    vm_user: VmUser, vm_sshd: SshServer, tmp_path: Path
) -> None:
    (vm_user.home / "empty").mkdir()
    shutil.chown(vm_user.home / "empty", user=vm_user.name)
    before = tree(vm_user.home, skip=())
    supervisor = Supervisor(tmp_path / "children")
    engines = []
    try:
        for remote in ("~/fresh/app", "~/empty"):
            local = tmp_path / remote.rsplit("/", 1)[-1]
            local.mkdir()
            (local / "main.py").write_text(f"print({remote!r})\n")
            engine = BuiltinEngine(
                load_project(local), _target(vm_sshd, remote), supervisor=supervisor, tuning=FAST
            )
            engines.append(engine)
            engine.start()
            assert engine.flush(timeout=30).phase is SyncPhase.WATCHING
            on_vm = vm_user.home / remote[2:]
            assert tree(on_vm) == tree(local)
            marker = json.loads((on_vm / ownership.MARKER).read_text())
            assert marker == {"owner": "devtray", "marker": 1, "project": local.name}
    finally:
        for engine in engines:
            engine.stop()
        supervisor.stop_all()
    after = tree(vm_user.home, skip=())
    # Only the two synced folders changed; everything else of the VM user's is as it was.
    outside = {p: d for p, d in after.items() if not p.startswith(("fresh", "empty/"))}
    assert outside == {p: d for p, d in before.items() if p != "empty"} | {"empty": "dir"}


@pytest.mark.parametrize("engine", ["builtin", "agent"])
def test_up_adopt_moves_the_folders_files_to_its_trash_and_nothing_else(
    engine: str, devbox: None, vm_user: VmUser, tmp_path: Path
) -> None:
    project = _project(tmp_path, "~/src/app", engine)
    before = tree(vm_user.home, skip=())
    checkout = tree(vm_user.home / "src" / "app", skip=())
    process = _up(str(project), "--adopt")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            process.wait(30)
            raise AssertionError(process.stderr.read() if process.stderr else "")
        assert line.startswith("Ready: devbox.devtray ~/src/app")
        # (`up` sets its "ready" flag just after printing Ready: let it, as a person would.)
        status = control.ask(project, "flush")
        assert status is not None and status.phase is SyncPhase.WATCHING
        assert status.engine == engine
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    app = vm_user.home / "src" / "app"
    assert tree(app) == tree(project)
    (trash,) = (app / ".devtray" / "trash").glob("adopted-*")
    assert tree(trash, skip=()) == checkout  # the checkout, whole, in the trash
    after = tree(vm_user.home, skip=())
    assert {p: d for p, d in after.items() if not p.startswith("src/app/")} == {
        p: d for p, d in before.items() if not p.startswith("src/app/")
    }


def test_a_folder_an_older_devtray_synced_is_taken_over_without_adopting(
    vm_user: VmUser, vm_sshd: SshServer
) -> None:
    """Before the marker existed devtray left `.devtray/trash` and `.devtray/rsyncd` in the
    folders it synced: an upgrade marks such a folder instead of refusing it."""
    app = vm_user.home / "src" / "app"
    (app / ".devtray" / "trash" / "2026-12-01").mkdir(parents=True)
    (app / "main.py").write_text("print('synced by an older devtray')\n")
    for path in [vm_user.home / "src", *(vm_user.home / "src").rglob("*")]:
        shutil.chown(path, user=vm_user.name)
    before = tree(app, skip=())
    claim = ownership.claim(["ssh", *vm_sshd.ssh_args()], "127.0.0.1", "~/src/app", "app")
    assert claim.ownership is ownership.Ownership.MIGRATED
    after = tree(app, skip=())
    assert json.loads((app / ownership.MARKER).read_text())["owner"] == "devtray"
    assert after.pop(ownership.MARKER) and after == before
    # A folder with a stray `.devtray` file (not devtray's folder) is still refused.
    other = vm_user.home / "other"
    other.mkdir()
    (other / ".devtray").write_text("not a folder\n")
    shutil.chown(other, user=vm_user.name)
    with pytest.raises(ownership.NotOwned):
        ownership.claim(["ssh", *vm_sshd.ssh_args()], "127.0.0.1", "~/other", "other")


@pytest.mark.parametrize("engine_type", [BuiltinEngine, AgentEngine])
def test_a_folder_an_older_devtray_synced_is_synced_by_either_engine(
    engine_type: type[BuiltinEngine], vm_user: VmUser, vm_sshd: SshServer, tmp_path: Path
) -> None:
    """The upgrade case end to end: the engine's own check marks the folder, then syncs."""
    app = vm_user.home / "src" / "app"
    shutil.rmtree(app)
    (app / ".devtray" / "trash" / "2026-12-01").mkdir(parents=True)
    (app / ".devtray" / "trash" / "2026-12-01" / "old.py~101010").write_text("kept\n")
    (app / "main.py").write_text("print('synced by an older devtray')\n")
    for path in [app, *app.rglob("*")]:
        shutil.chown(path, user=vm_user.name)
    local = tmp_path / "app"
    local.mkdir()
    (local / "main.py").write_text("print('laptop')\n")
    supervisor = Supervisor(tmp_path / "children")
    engine = engine_type(
        load_project(local), _target(vm_sshd, "~/src/app"), supervisor=supervisor, tuning=FAST
    )
    try:
        engine.start()
        assert engine.flush(timeout=30).phase is SyncPhase.WATCHING
    finally:
        engine.stop()
        supervisor.stop_all()
    assert tree(app) == tree(local)
    assert json.loads((app / ownership.MARKER).read_text())["owner"] == "devtray"
    assert (app / ".devtray" / "trash" / "2026-12-01" / "old.py~101010").read_text() == "kept\n"
