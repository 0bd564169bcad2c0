"""The idle agent installed, checked, snoozed and removed over real SSH (sshd on 127.0.0.1).

This machine plays the VM. What a container cannot do is replaced at the boundary, by name:
systemd (a stand-in `systemctl` that logs its arguments) and the power-off itself (a command
that writes a marker file). The agent's clock is faked with `run --now`; its SSH-connection
check reads the real /proc/net/tcp against the test sshd's port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop.core import errors
from desktop.core.autostop import ShutdownEffect
from desktop.remote.idle_agent import (
    BUNDLED_VERSION,
    AgentLayout,
    IdleAgent,
    agent_source,
    shutdown_warning,
)
from tests.sshd import SshServer, free_port

T0 = 1_800_000_000.0  # the agent's fake "now" (Jan 2027), in epoch seconds
MIN = 60.0


@dataclass
class Vm:
    agent: IdleAgent
    prefix: Path
    systemctl_log: Path
    powered_off: Path
    pts: Path
    sshd: SshServer

    def check(self, now: float) -> str:
        """One run of the installed agent, as its systemd timer would start it."""
        script = self.prefix / "usr/local/lib/devtray-agent/agent.py"
        result = subprocess.run(
            [sys.executable, str(script), "run", "--prefix", str(self.prefix), "--now", str(now)],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return str(json.loads(result.stdout)["decision"])


@pytest.fixture
def vm(sshd: SshServer, tmp_path: Path) -> Iterator[Vm]:
    prefix = tmp_path / "vm"
    log = tmp_path / "systemctl.log"
    fake_systemctl = tmp_path / "fake-systemctl"
    fake_systemctl.write_text(
        f'#!/bin/sh\necho "$@" >> {log}\n[ "$1" = is-active ] && echo active\nexit 0\n'
    )
    fake_systemctl.chmod(0o755)
    marker = tmp_path / "powered-off"
    pts = tmp_path / "pts"
    pts.mkdir()
    layout = AgentLayout(
        prefix=str(prefix),
        sudo=False,
        systemctl=(str(fake_systemctl),),
        poweroff=("touch", str(marker)),
        pts_dir=str(pts),
        snooze_file=str(tmp_path / "home" / ".devtray-agent" / "snooze"),
    )
    agent = IdleAgent([*_ssh(sshd), "127.0.0.1"], layout, timeout=30)
    yield Vm(agent, prefix, log, marker, pts, sshd)


def _ssh(sshd: SshServer) -> list[str]:
    return ["ssh", *sshd.ssh_args()]


def test_install_status_snooze_and_remove(vm: Vm) -> None:
    assert not vm.agent.status().installed

    status = vm.agent.install(idle_minutes=30, cpu_busy_percent=101, ssh_port=vm.sshd.port)
    assert status.installed
    assert status.version == BUNDLED_VERSION
    assert status.up_to_date
    assert status.timer == "active"
    assert status.idle_minutes == 30
    script = vm.prefix / "usr/local/lib/devtray-agent/agent.py"
    assert script.read_text() == agent_source()
    assert os.access(script, os.X_OK)
    service = (vm.prefix / "etc/systemd/system/devtray-idle-agent.service").read_text()
    assert f"{script} run --prefix {vm.prefix}" in service
    assert (
        "OnUnitActiveSec=1min"
        in (vm.prefix / "etc/systemd/system/devtray-idle-agent.timer").read_text()
    )
    assert vm.systemctl_log.read_text().splitlines()[:2] == [
        "daemon-reload",
        "enable --now devtray-idle-agent.timer",
    ]

    # Idle from the first check on; an open SSH session is activity.
    assert vm.check(T0) == "idle 0 min"
    with subprocess.Popen([*_ssh(vm.sshd), "127.0.0.1", "sleep 20"]) as session:
        try:
            _wait_for_connection(vm)
            assert vm.check(T0 + 20 * MIN) == "active: ssh"
        finally:
            session.terminate()
    _wait_for_connection(vm, gone=True)
    assert vm.check(T0 + 49 * MIN) == "idle 29 min"

    # A snooze recorded by the app holds the agent off, and the idle count restarts after it.
    vm.agent.snooze(datetime.fromtimestamp(T0 + 120 * MIN, UTC))
    assert vm.agent.status().snooze_until == datetime.fromtimestamp(T0 + 120 * MIN, UTC)
    _wait_for_connection(vm, gone=True)
    assert vm.check(T0 + 60 * MIN) == "active: snoozed"
    assert vm.check(T0 + 119 * MIN) == "active: snoozed"
    assert vm.check(T0 + 140 * MIN) == "idle 21 min"
    assert not vm.powered_off.exists()

    # Someone typing in a terminal is activity; an old terminal is not.
    terminal = vm.pts / "0"
    terminal.touch()
    assert vm.check(T0 + 145 * MIN) == "active: terminal"
    old = time.time() - 3600
    os.utime(terminal, (old, old))
    assert vm.check(T0 + 170 * MIN) == "idle 25 min"

    # Thirty idle minutes: the agent powers the VM off (here: touches the marker).
    assert vm.check(T0 + 175 * MIN) == "poweroff after 30 idle minutes"
    assert vm.powered_off.exists()
    status = vm.agent.status()
    assert status.last_decision == "poweroff after 30 idle minutes"
    assert status.last_run == datetime.fromtimestamp(T0 + 175 * MIN, UTC)
    assert "Last check" in status.describe()

    vm.agent.remove()
    assert not script.exists()
    assert not (vm.prefix / "etc/systemd/system/devtray-idle-agent.timer").exists()
    assert not (vm.prefix / "etc/devtray-agent").exists()
    assert not (vm.prefix.parent / "home" / ".devtray-agent" / "snooze").exists()
    assert "disable --now devtray-idle-agent.timer" in vm.systemctl_log.read_text()
    assert not vm.agent.status().installed


def test_probe_reads_terminal_input_and_cpu(vm: Vm) -> None:
    sample = vm.agent.probe()  # no agent needed: the tray probes every running VM
    assert sample.ssh_input_idle is None  # no terminal at all
    assert sample.cpu_percent is not None
    assert 0.0 <= sample.cpu_percent <= 100.0
    (vm.pts / "3").touch()
    sample = vm.agent.probe()
    assert sample.ssh_input_idle is not None
    assert sample.ssh_input_idle.total_seconds() < 60


def test_snooze_needs_an_installed_agent(vm: Vm) -> None:
    with pytest.raises(errors.DevtrayError, match="not installed"):
        vm.agent.snooze(datetime.fromtimestamp(T0, UTC))


def test_unreachable_vm_is_an_offline_error(sshd: SshServer, tmp_path: Path) -> None:
    args = _ssh(sshd)
    args[args.index(str(sshd.port))] = str(free_port())
    agent = IdleAgent([*args, "127.0.0.1"], AgentLayout(prefix=str(tmp_path), sudo=False))
    with pytest.raises(errors.Offline, match="Could not reach the VM over SSH"):
        agent.status()


def test_idle_minutes_are_checked_before_anything_runs(vm: Vm) -> None:
    with pytest.raises(errors.UsageError, match="idle minutes must be 1-1440"):
        vm.agent.install(idle_minutes=0)


def test_shutdown_behaviour_decides_whether_the_agent_may_go_on() -> None:
    assert shutdown_warning(ShutdownEffect.STOPS) is None
    terminate = shutdown_warning(ShutdownEffect.TERMINATES)
    assert terminate is not None
    assert "would delete it" in terminate
    keeps = shutdown_warning(ShutdownEffect.KEEPS_BILLING)
    assert keeps is not None
    assert "does not deallocate" in keeps


def _wait_for_connection(vm: Vm, *, gone: bool = False) -> None:
    """Until /proc shows an established connection to the sshd (or none), 10 s at most."""
    from desktop.remote.idle_agent_script import ssh_connections

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if (ssh_connections(vm.sshd.port) == 0) == gone:
            return
        time.sleep(0.05)
    raise AssertionError(f"SSH connection {'still open' if gone else 'never seen'}")
