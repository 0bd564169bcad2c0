"""Installing, inspecting and removing the idle agent on the VM, over SSH.

Every operation is one `ssh` run: the agent's source (`idle_agent_script.py`) goes over stdin
to a fixed one-line bootstrap, `python3 -c BOOTSTRAP SUBCOMMAND ...`, so an agent that is
missing or out of date on the VM never matters and nothing needs copying first. The remote
command line is built from constants and validated numbers only, each word quoted for the
remote shell; nothing cloud-supplied goes into it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from desktop.core import errors
from desktop.core.autostop import ActivitySample, InOsShutdown, ShutdownEffect, is_active
from desktop.core.config import AutostopConfig
from desktop.core.model import VmSnapshot, VmState
from desktop.remote import idle_agent_script
from desktop.remote.ssh_config import (
    alias_for,
    alias_in_block,
    ssh_command,
    ssh_config_path,
    ssh_reason,
)

BOOTSTRAP = (
    "import sys;S=sys.stdin.read();"
    "exec(compile(S,'devtray-idle-agent','exec'),{'__name__':'__main__','AGENT_SOURCE':S})"
)
SSH_TIMEOUT = 60.0
BUNDLED_VERSION = idle_agent_script.AGENT_VERSION


def agent_source() -> str:
    """The VM-side script, as shipped inside devtray."""
    return resources.files("desktop.remote").joinpath("idle_agent_script.py").read_text("utf-8")


@dataclass(frozen=True)
class AgentLayout:
    """Where and how the agent is installed on the VM.

    On a real VM: under /, through `sudo -n` (the units and the power-off need root), managed by
    systemd. Tests install under a temporary prefix, without sudo, with a stand-in systemctl
    and power-off command, because a container has no systemd to run and nothing to power off.
    """

    prefix: str = "/"
    sudo: bool = True
    python: str = "python3"
    systemctl: tuple[str, ...] = ()
    poweroff: tuple[str, ...] = ()
    pts_dir: str | None = None
    snooze_file: str | None = None  # default: ~/.devtray-agent/snooze of the installing user


@dataclass(frozen=True)
class AgentStatus:
    """What `status` found on the VM."""

    installed: bool
    version: int | None
    timer: str
    idle_minutes: float | None = None
    last_run: datetime | None = None
    last_active: datetime | None = None
    last_decision: str | None = None
    snooze_until: datetime | None = None

    @property
    def up_to_date(self) -> bool:
        """True when the installed agent is the version this devtray ships."""
        return self.installed and self.version == BUNDLED_VERSION

    def describe(self) -> str:
        """One paragraph for people."""
        if not self.installed:
            return "The idle agent is not installed on this VM."
        lines = [
            f"Idle agent v{self.version} installed"
            + ("" if self.up_to_date else f" (devtray ships v{BUNDLED_VERSION}: reinstall)")
            + f"; timer {self.timer}; stops the VM after {self.idle_minutes:g} idle minutes.",
        ]
        if self.last_decision:
            when = self.last_run.strftime("%Y-%m-%d %H:%M UTC") if self.last_run else "?"
            lines.append(f"Last check {when}: {self.last_decision}.")
        if self.snooze_until:
            lines.append(f"Snoozed until {self.snooze_until:%Y-%m-%d %H:%M UTC}.")
        return "\n".join(lines)


def ssh_to(vm: VmSnapshot, ssh_config: Path | None = None) -> list[str]:
    """`ssh -F FILE` reaching the VM through its alias in devtray's block of FILE
    (default ~/.ssh/config)."""
    path = ssh_config or ssh_config_path()
    return ssh_command(alias_in_block(path, vm.id) or alias_for(vm.name, vm.id), path)


def vm_was_active(vm: VmSnapshot, settings: AutostopConfig, since: timedelta) -> bool | None:
    """True if someone typed in a terminal or the CPU was busy on the VM (the tray's probe).

    None when the VM cannot be asked: the demo cloud, or no SSH access.
    """
    if vm.provider == "demo":
        return None
    sample = IdleAgent(ssh_to(vm), timeout=20).probe()
    return is_active(sample, settings, since)


def record_snooze(
    provider: object, vm: VmSnapshot, ssh: Callable[[], list[str]], until: datetime | None
) -> None:
    """Tell the VM's idle agent about a snooze (None: it ended), wherever one can run: a
    running VM of a real cloud whose in-OS shutdown stops it, with the agent installed.
    The CLI and the tray both record through here."""
    if vm.provider == "demo" or vm.state is not VmState.RUNNING:
        return
    if (
        isinstance(provider, InOsShutdown)
        and provider.in_os_shutdown_effect(vm.id) is not ShutdownEffect.STOPS
    ):
        return  # no agent can be installed there (`agent install` refuses)
    agent = IdleAgent(ssh())
    if agent.status().installed:
        agent.snooze(until)


def shutdown_warning(effect: ShutdownEffect) -> str | None:
    """Why the agent must not (or need not) be installed on a VM, if it must not."""
    if effect is ShutdownEffect.TERMINATES:
        return (
            "This VM's in-OS shutdown behaviour is `terminate`: the idle agent would delete it. "
            "Set it to `stop` first (EC2 console: Instance settings > Change shutdown behavior)."
        )
    if effect is ShutdownEffect.KEEPS_BILLING:
        return (
            "A shutdown from inside this VM does not deallocate it, so it would keep billing; "
            "use the cloud's own auto-shutdown schedule instead."
        )
    return None


class IdleAgent:
    """The idle agent on one VM, reached with `ssh_command` (ssh, its options and the host)."""

    def __init__(
        self,
        ssh_command: Sequence[str],
        layout: AgentLayout | None = None,
        *,
        timeout: float = SSH_TIMEOUT,
    ) -> None:
        self.ssh_command = list(ssh_command)
        self.layout = layout or AgentLayout()
        self.timeout = timeout

    def install(
        self, *, idle_minutes: float, cpu_busy_percent: float = 20.0, ssh_port: int = 22
    ) -> AgentStatus:
        """Install (or upgrade) the agent and start its timer."""
        if not 1 <= idle_minutes <= 24 * 60:
            raise errors.UsageError(f"idle minutes must be 1-1440, not {idle_minutes:g}")
        args = [
            "install",
            "--idle-minutes",
            f"{idle_minutes:g}",
            "--cpu-busy-percent",
            f"{cpu_busy_percent:g}",
            "--ssh-port",
            str(int(ssh_port)),
        ]
        if self.layout.pts_dir:
            args += ["--pts-dir", self.layout.pts_dir]
        if self.layout.snooze_file:
            args += ["--snooze-file", self.layout.snooze_file]
        if self.layout.poweroff:
            args += ["--poweroff", *self.layout.poweroff]
        if self.layout.systemctl:
            args += ["--systemctl", *self.layout.systemctl]
        return _status(self._run(args, root=True))

    def status(self) -> AgentStatus:
        """What is installed and what the agent last decided."""
        return _status(self._run(["status"], root=False))

    def remove(self) -> None:
        """Stop the timer and delete every file the agent installed."""
        self._run(["remove"], root=True)

    def snooze(self, until: datetime | None) -> None:
        """Record the app's snooze on the VM (None clears it) so the agent holds off too."""
        epoch = 0 if until is None else int(until.timestamp())
        self._run(["snooze", "--until", str(epoch)], root=False)

    def probe(self) -> ActivitySample:
        """The VM's activity signals now: terminal input age and CPU use (agent or not)."""
        args = ["probe"] + (["--pts-dir", self.layout.pts_dir] if self.layout.pts_dir else [])
        data = self._run(args, root=False)
        idle = data.get("terminal_idle_seconds")
        cpu = data.get("cpu_percent")
        return ActivitySample(
            ssh_input_idle=timedelta(seconds=idle) if isinstance(idle, int | float) else None,
            cpu_percent=float(cpu) if isinstance(cpu, int | float) else None,
        )

    def _run(self, args: list[str], *, root: bool) -> dict[str, Any]:
        remote = [self.layout.python, "-c", BOOTSTRAP, "--prefix", self.layout.prefix, *args]
        if root and self.layout.sudo:
            remote = ["sudo", "-n", *remote]
        try:
            result = subprocess.run(
                [*self.ssh_command, shlex.join(remote)],
                input=agent_source(),
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise errors.Offline(
                f"The VM did not answer within {self.timeout:.0f} s.",
                hint="Check that it is running and reachable over SSH.",
            ) from None
        return _parse(result, args[0])


def _parse(result: subprocess.CompletedProcess[str], command: str) -> dict[str, Any]:
    stderr = result.stderr.strip()
    last_line = stderr.splitlines()[-1] if stderr else ""
    if result.returncode == 255:
        raise errors.Offline(
            f"Could not reach the VM over SSH: {ssh_reason(stderr) or 'no answer'}",
            hint="Start the VM and check `ssh` works, then try again.",
        )
    if result.returncode != 0 and ("a password is required" in stderr or "sudo:" in stderr):
        raise errors.PermissionDenied(
            "Installing the idle agent needs passwordless sudo on the VM.",
            hint="Allow your user `sudo` without a password (cloud images do by default).",
        )
    if result.returncode != 0:
        detail = last_line or f"exit code {result.returncode}"
        raise errors.DevtrayError(f"The idle agent's `{command}` failed on the VM: {detail}")
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise errors.DevtrayError(
            f"The idle agent's `{command}` gave an answer devtray cannot read.",
            hint="Your login shell may print text for non-interactive commands; keep it quiet.",
        ) from None
    if not isinstance(data, dict):
        raise errors.DevtrayError(f"The idle agent's `{command}` answered {data!r}.")
    return data


def _status(data: dict[str, Any]) -> AgentStatus:
    return AgentStatus(
        installed=bool(data.get("installed")),
        version=data.get("version"),
        timer=str(data.get("timer") or "absent"),
        idle_minutes=data.get("idle_minutes"),
        last_run=_time(data.get("last_run")),
        last_active=_time(data.get("last_active")),
        last_decision=data.get("last_decision"),
        snooze_until=_time(data.get("snooze_until")),
    )


def _time(epoch: object) -> datetime | None:
    if isinstance(epoch, int | float) and not isinstance(epoch, bool):
        return datetime.fromtimestamp(epoch, UTC)
    return None
