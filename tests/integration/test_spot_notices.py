"""Spot notices, end to end on this machine playing the VM: the watcher (run by the real sshd
as the VM user) polls a stand-in IMDSv2 on 127.0.0.1; the laptop reads the notice over SSH
(`IdleAgent.notice`, and `devtray status` as a child process)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.core.spot import NoticeKind, SpotNotice
from desktop.remote.idle_agent import TEST_PREFIX_ENV, IdleAgent
from tests.imds_standin import REBALANCE, SPOT_ACTION, ImdsStandIn
from tests.integration.connect_helpers import cli, write_config
from tests.integration.test_idle_agent import Vm, _ssh, vm  # noqa: F401 - the `vm` fixture
from tests.integration.test_spot_cli import run_spot_instance
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer

WATCH_SECONDS = 40  # the watcher's bound in these tests; they end it sooner


def start_watcher(machine: Vm, interval: float = 0.2) -> subprocess.Popen[bytes]:
    """The installed watcher, started over ssh as the VM user (systemd's job on a real VM)."""
    script = machine.prefix / "usr/local/lib/devtray-agent/agent.py"
    command = f"exec python3 {script} watch --prefix {machine.prefix} --interval {interval} "
    command += f"--max-seconds {WATCH_SECONDS}"
    # A terminal (-tt): when the test ends ssh, the hang-up ends the watcher on the "VM" too.
    return subprocess.Popen(
        [*_ssh(machine.sshd), "-tt", "127.0.0.1", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )


@pytest.fixture
def watched(vm: Vm, imds: ImdsStandIn) -> Iterator[Vm]:  # noqa: F811
    """The agent installed, pointed at the stand-in IMDS, its watcher running."""
    vm.agent.install(idle_minutes=30, ssh_port=vm.sshd.port)
    (vm.prefix / "etc/devtray-agent/imds-url-for-tests").write_text(imds.url)
    watcher = start_watcher(vm)
    try:
        yield vm
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)


def wait_for_notice(
    agent: IdleAgent, kind: NoticeKind | None, seconds: float = 10
) -> SpotNotice | None:
    """Poll the notice over SSH until it is of `kind` (None: no notice), bounded in time."""
    ends = time.monotonic() + seconds
    while True:
        notice = agent.notice()
        if (notice.kind if notice else None) is kind:
            return notice
        assert time.monotonic() < ends, f"no {kind} notice within {seconds} s (last: {notice})"
        time.sleep(0.2)


def test_the_watcher_sees_interruption_and_rebalance_notices(
    watched: Vm,
    imds: ImdsStandIn,
) -> None:
    assert watched.agent.notice() is None
    deadline = (datetime.now(UTC) + timedelta(minutes=2)).replace(microsecond=0)
    imds.interrupt(deadline)
    notice = wait_for_notice(watched.agent, NoticeKind.INTERRUPTION)
    assert notice is not None
    assert notice.interruption_at == deadline
    assert notice.action == "stop"
    assert notice.noticed_at is not None and notice.noticed_at <= datetime.now(UTC)

    imds.clear()
    wait_for_notice(watched.agent, None)
    announced = datetime.now(UTC).replace(microsecond=0)
    imds.recommend_rebalance(announced)
    rebalance = wait_for_notice(watched.agent, NoticeKind.REBALANCE)
    assert rebalance is not None and rebalance.at == announced
    assert rebalance.interruption_at is None

    # Every metadata read carried the session token: the stand-in refuses those without.
    assert 200 in imds.statuses(SPOT_ACTION) and 404 in imds.statuses(SPOT_ACTION)
    assert 401 not in imds.statuses(SPOT_ACTION) + imds.statuses(REBALANCE)


def test_off_a_vm_the_watcher_never_dials_the_real_metadata_service(vm: Vm) -> None:  # noqa: F811
    vm.agent.install(idle_minutes=30, ssh_port=vm.sshd.port)
    script = vm.prefix / "usr/local/lib/devtray-agent/agent.py"
    result = subprocess.run(
        ["python3", str(script), "watch", "--prefix", str(vm.prefix), "--max-seconds", "1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(result.stdout) == {
        "watching": False,
        "reason": "no instance metadata service off a VM",
    }


def test_status_shows_when_aws_takes_the_vm_back(
    watched: Vm,
    imds: ImdsStandIn,
    moto: MotoEndpoint,
    sshd: SshServer,
    config_file: Path,
) -> None:
    vm_id = run_spot_instance("devbox")
    write_config(config_file, sshd)
    env = {TEST_PREFIX_ENV: str(watched.prefix)}
    assert cli("ssh-config", env=env).returncode == 0
    deadline = (datetime.now(UTC) + timedelta(minutes=2)).replace(microsecond=0)
    imds.interrupt(deadline)
    wait_for_notice(watched.agent, NoticeKind.INTERRUPTION)

    result = cli("status", "--json", env=env)
    assert result.returncode == 0, result.stderr
    [data] = json.loads(result.stdout)
    assert data["id"] == vm_id and data["market"] == "spot"
    assert datetime.fromisoformat(data["interruption_at"]) == deadline
    assert data["spot_notice"] == "interruption"

    table = cli("status", env=env)
    assert table.returncode == 0, table.stderr
    assert "SPOT NOTICE" in table.stdout.splitlines()[0]
    assert f"taken back at {deadline.astimezone():%H:%M} (in 1 min " in table.stdout
