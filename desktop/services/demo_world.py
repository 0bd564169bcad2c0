"""The demo's whole day: the demo cloud, a stand-in VM on this computer, a demo project, and a
private config and SSH block for them — so Start my day, Sync, Tunnels and Open do real work
in `devtray --demo` without an account.

Everything lives under `<data dir>/demo/`: the project folder (`projects/hello-app`), the
stand-in VM's disk and keys (`standin/`), the demo's `config.toml` (its `[[projects]]` and the
VM's SSH settings). The demo VM's `Host` goes where IDEs look for hosts (VS Code's Remote-SSH
reads `~/.ssh/config`), in a block of its own (`DEMO_BLOCK`) beside devtray's: written with the
same care, removed when the demo quits, and a crashed demo's stale one removed at the next start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from desktop.core.config import Config, load_config
from desktop.core.errors import DevtrayError
from desktop.core.model import VmState
from desktop.core.spend_record import data_dir
from desktop.providers.demo import DemoProvider
from desktop.remote.ssh_config import DEMO_BLOCK, SshConfigWriter, default_paths, ssh_config_path
from desktop.remote.standin_link import StandInLink
from desktop.remote.standin_vm import StandInVm, Which, system_which
from desktop.remote.tunnels import free_loopback_port
from desktop.remote.vm_link import VmLink

log = logging.getLogger(__name__)

DEMO_VM = "demo-devbox"
PROJECT_NAME = "hello-app"
DEMO_DIR_ENV = "DEVTRAY_DEMO_DIR"

_PROJECT_FILES = {
    "README.md": "# hello-app\n\nThe demo project: edit a file, it reaches the demo VM.\n",
    "index.html": "<h1>Hello from the demo VM</h1>\n",
    "app.py": 'print("hello from the demo VM")\n',
}


def demo_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the demo keeps its world: `$DEVTRAY_DEMO_DIR`, else devtray's data dir."""
    environ = os.environ if environ is None else environ
    override = environ.get(DEMO_DIR_ENV)
    return Path(override) if override else data_dir() / "demo"


@dataclass(frozen=True)
class DemoWorld:
    """The demo cloud and the stand-in behind it, with the config and SSH block they need."""

    root: Path
    provider: DemoProvider
    standin: StandInVm
    writer: SshConfigWriter

    @property
    def project(self) -> Path:
        """The demo project's folder (a real folder the user may edit)."""
        return self.root / "projects" / PROJECT_NAME

    def config(self) -> Config:
        """The demo's config, read from its own file (written by `create`)."""
        return load_config(self.root / "config.toml")

    def link(self) -> VmLink | None:
        """How the day reaches the demo VM: None for SSH (the real engines), the simulated
        stand-in's link where this computer cannot play the VM over SSH."""
        why = self.standin.simulated
        return StandInLink(self.standin, why) if why is not None else None

    def close(self) -> None:
        """At quit: the stand-in machine stops (a real VM would keep running; this one is the
        user's own computer) and its block leaves the SSH config."""
        self.standin.stop()
        _remove_block(self.writer)


def create(
    root: Path | None = None,
    environ: Mapping[str, str] | None = None,
    which: Which = system_which,
) -> DemoWorld:
    """Make (or reuse) the demo's folders and write its config for this run's ports;
    `which` finds sshd, ssh and rsync (whether the stand-in is reached over SSH)."""
    root = root or demo_dir(environ)
    standin = StandInVm(root / "standin", which)

    def follow(_vm_id: str, state: VmState) -> None:
        # The demo VM's machine starts and stops with it, as a real VM's sshd would.
        if state is VmState.RUNNING:
            standin.start()
        elif state is VmState.STOPPED:
            standin.stop()

    provider = DemoProvider.from_environment(environ, on_settled=follow)
    users_file = SshConfigWriter(
        path=ssh_config_path(), paths=default_paths(root), block=DEMO_BLOCK
    )
    _remove_block(users_file)  # a crashed demo's, pointing at a port of its own
    # The IDEs read the user's file; a simulated VM has no SSH server for them to reach, so
    # its block stays in the demo's own file (the IDE opens the stand-in's folder instead).
    writer = (
        users_file
        if standin.simulated is None
        else replace(users_file, path=root / "ssh" / "config")
    )
    world = DemoWorld(root, provider, standin, writer)
    _write_project(world)
    _write_config(world)
    return world


def _remove_block(writer: SshConfigWriter) -> None:
    # The demo must not fail for the block: a file it may not write is left as it is.
    try:
        writer.remove()
    except DevtrayError as exc:
        log.warning("the demo's SSH block was not removed: %s", exc)


def _write_project(world: DemoWorld) -> None:
    project = world.project
    project.mkdir(parents=True, exist_ok=True)
    for name, text in _PROJECT_FILES.items():
        path = project / name
        if not path.exists():
            path.write_text(text, encoding="utf-8")
    access = world.standin.access
    local = free_loopback_port()
    (project / ".devtray.toml").write_text(
        f'vm = "{DEMO_VM}"\n'
        f"remote_path = {_quoted((access.disk / PROJECT_NAME).as_posix())}\n"
        f'ports = ["{local}:127.0.0.1:{access.app_port}"]\n'
        'ide = "vscode"\n',
        encoding="utf-8",
    )


def _write_config(world: DemoWorld) -> None:
    access = world.standin.access
    project = world.project.as_posix()
    text = (
        "schema = 1\n\n"
        f'[vm."{DEMO_VM}"]\nhost = "{access.host}"\nport = {access.port}\n'
        f"user = {_quoted(access.user)}\n"
        f"identity_file = {_quoted(access.identity_file.as_posix())}\n\n"
        f"[connect]\nproject = {_quoted(project)}\n\n"
        f'[[projects]]\nfolder = {_quoted(project)}\nvm = "{DEMO_VM}"\nide = "vscode"\n'
    )
    path = world.root / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _quoted(value: str) -> str:
    """A TOML basic string (a JSON string is one)."""
    import json

    return json.dumps(value, ensure_ascii=False)
