"""The day service built as production builds it, against moto and the loopback sshd."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from desktop.app import configured_providers
from desktop.core.config import load_config
from desktop.core.project import Project, load_project
from desktop.core.spend_tracker import SpendTracker
from desktop.remote.supervisor import Supervisor
from desktop.services.config import ConfigSource
from desktop.services.day import DayEvent, DayService
from desktop.services.registry import build_day
from tests.integration.connect_helpers import write_config
from tests.moto_server import ec2_client
from tests.sshd import SshServer


@dataclass
class DayRig:
    """A configured project, its 'VM folder' and a fresh day service."""

    project: Project
    remote: Path
    day: DayService
    events: list[DayEvent]


def make_project(
    tmp_path: Path, config_file: Path, sshd: SshServer, *, ports: tuple[str, ...] = ()
) -> tuple[Path, Path]:
    """Write devtray's config (the VM reached at the test sshd) and a small project."""
    write_config(config_file, sshd)
    with config_file.open("a") as handle:
        handle.write("\n[polling]\nfast_seconds = 0.05\n")
    project = tmp_path / "app"
    remote = tmp_path / "vm" / "app"
    project.mkdir()
    toml = f'remote_path = "{remote}"\n'
    if ports:
        toml += "ports = [" + ", ".join(f'"{p}"' for p in ports) + "]\n"
    (project / ".devtray.toml").write_text(toml)
    (project / "main.py").write_text("print('good morning')\n")
    return project, remote


def new_day(tmp_path: Path) -> DayService:
    """A day service as the composition root builds it (one supervisor, the config snapshot)."""
    return build_day(
        ConfigSource(load_config()),
        configured_providers,
        SpendTracker.on_this_machine(),
        Supervisor(tmp_path / "children"),
    )


def rig(tmp_path: Path, config_file: Path, sshd: SshServer, **kwargs: tuple[str, ...]) -> DayRig:
    """Project + day service; the events it hears are collected."""
    root, remote = make_project(tmp_path, config_file, sshd, **kwargs)
    day = new_day(tmp_path)
    events: list[DayEvent] = []
    day.subscribe(events.append)
    return DayRig(load_project(root), remote, day, events)


def vm_state(vm_id: str) -> str:
    """The instance's state name, as EC2 says."""
    reply = ec2_client().describe_instances(InstanceIds=[vm_id])
    return str(reply["Reservations"][0]["Instances"][0]["State"]["Name"])


def stop_in_moto(vm_id: str) -> None:
    """Stop the instance directly in the cloud (moto makes it instant)."""
    ec2_client().stop_instances(InstanceIds=[vm_id])


def other_key(tmp_path: Path) -> Path:
    """A key the test sshd does not accept."""
    key = tmp_path / "stranger"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=30
    )
    return key


def start_up(project: Path) -> subprocess.Popen[str]:
    """`devtray up PROJECT` as a child process in a session of its own (a failing test ends
    the whole session: its ssh children too)."""
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", "up", str(project)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
