"""Fixtures of the sync tests: engines against the real sshd, with real rsync and git.

`sync_pair` makes engines of each kind in turn (`engine_name`: the built-in rsync engine and
the agent engine); a test that concerns one engine only parametrizes `engine_name` itself.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from desktop.core.project import load_project
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync.agent import AgentEngine
from desktop.remote.sync.builtin import BuiltinEngine, Tuning
from tests.conftest import REQUIRE_ALL, require_tool
from tests.sshd import SshServer, make_sshd
from tests.sync_helpers import FAST, target_for

ENGINES = {"builtin": BuiltinEngine, "agent": AgentEngine}


@pytest.fixture(params=sorted(ENGINES))
def engine_name(request: pytest.FixtureRequest) -> str:
    """Which engine `sync_pair` makes."""
    return str(request.param)


@pytest.fixture
def sync_pair(
    sshd: SshServer, tmp_path: Path, engine_name: str
) -> Iterator[Callable[..., tuple[BuiltinEngine, Path, Path]]]:
    """Make (engine, local project, remote folder); every engine is stopped at the end."""
    require_tool("rsync", "git")
    engines: list[BuiltinEngine] = []
    supervisor = Supervisor(tmp_path / "children")

    def make(
        project_toml: str = "", tuning: Tuning = FAST, start: bool = True
    ) -> tuple[BuiltinEngine, Path, Path]:
        local = tmp_path / f"project{len(engines)}"
        remote = tmp_path / f"vm{len(engines)}" / "src" / "project"
        local.mkdir()
        if project_toml:
            (local / ".devtray.toml").write_text(project_toml)
        engine = ENGINES[engine_name](
            load_project(local), target_for(sshd, remote), supervisor=supervisor, tuning=tuning
        )
        engines.append(engine)
        if start:
            engine.start()
        return engine, local, remote

    yield make
    for engine in engines:
        engine.stop()
    supervisor.stop_all()


# A password of `*` (none) rather than useradd's `!` (locked): sshd refuses locked accounts.
USERADD = ("useradd", "--no-create-home", "--shell", "/bin/sh", "--password", "*")


@dataclass(frozen=True)
class VmUser:
    """A throwaway account standing for the VM user, with a home that holds things to lose."""

    name: str
    home: Path


@pytest.fixture
def vm_user() -> Iterator[VmUser]:
    """A user made with `useradd` (home in a temporary folder), removed afterwards.

    The home holds `.ssh/authorized_keys`, another project under `src/other` and a checkout in
    `src/app`: what a wrong `remote_path` must never touch.
    """
    if os.geteuid() != 0:
        message = "needs root to create a throwaway VM user (CI runs as root)"
        if REQUIRE_ALL:
            pytest.fail(message)
        pytest.skip(message)
    require_tool("useradd", "userdel")
    parent = Path(tempfile.mkdtemp(prefix="devtray-vmuser-"))
    parent.chmod(0o755)  # the user must reach its home
    name = f"dtvm{secrets.token_hex(4)}"
    home = parent / name
    subprocess.run(
        [*USERADD, "--home-dir", str(home), name],
        check=True,
        capture_output=True,
    )
    try:
        for rel, text in {
            ".ssh/authorized_keys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIvmuserkey user@laptop\n",
            ".profile": "# the VM user's own\n",
            "src/other/README.md": "another project\n",
            "src/other/main.py": "print('other')\n",
            "src/app/.git/HEAD": "ref: refs/heads/main\n",
            "src/app/app.py": "print('a checkout made on the VM')\n",
        }.items():
            (home / rel).parent.mkdir(parents=True, exist_ok=True)
            (home / rel).write_text(text)
        subprocess.run(["chown", "-R", f"{name}:", str(home)], check=True)
        (home / ".ssh").chmod(0o700)
        yield VmUser(name, home)
    finally:
        _end_processes_of(name)
        subprocess.run(["userdel", name], check=False, capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)


def _end_processes_of(user: str) -> None:
    """End what still runs as the throwaway user (an ssh session cut short, its rsync daemon):
    userdel refuses a user with processes."""
    mine = [p for p in psutil.process_iter(["username"]) if p.info["username"] == user]
    for process in mine:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(mine, timeout=3)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()


@pytest.fixture
def vm_sshd(tmp_path: Path, vm_user: VmUser) -> Iterator[SshServer]:
    """The loopback sshd, logging in as the throwaway VM user."""
    server = make_sshd(tmp_path / "vm-sshd")
    server.user = vm_user.name
    # sshd reads the keys as the user, who cannot enter root's temporary folders.
    keys = vm_user.home.parent / "authorized_keys"
    keys.write_text((server.root / "authorized_keys").read_text())
    keys.chmod(0o644)
    config = server.root / "sshd_config"
    config.write_text(
        config.read_text().replace(
            f"AuthorizedKeysFile {server.root / 'authorized_keys'}", f"AuthorizedKeysFile {keys}"
        )
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
