"""`devtray market on-demand|spot` against moto's server (the CLI as a child process), with
the new instance's SSH answered by the real sshd on 127.0.0.1; the order of EC2 calls is read
from moto's own request recorder. And a spot start refused for capacity offers the switch."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core import errors
from desktop.core.model import Market, VmState
from tests.integration.connect_helpers import REPO, cli
from tests.integration.test_aws_provider import InjectedError, make_provider
from tests.integration.test_spot_cli import run_spot_instance
from tests.moto_server import MotoEndpoint, ec2_client, run_instance
from tests.sshd import SshServer, free_port

MUTATING = {
    "StopInstances",
    "CreateImage",
    "RunInstances",
    "CreateTags",
    "DeleteTags",
    "TerminateInstances",
    "StartInstances",
    "DeregisterImage",
    "DeleteSnapshot",
}


class MotoRecording:
    """moto's request recorder (`/moto-api/recorder/`): every request the server got."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _post(self, what: str) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/recorder/{what}", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def start(self) -> None:
        """Record from now on (after the test arranged its instances)."""
        self._post("reset-recording")
        self._post("start-recording")

    def actions(self) -> list[tuple[str, dict[str, list[str]]]]:
        """(Action, parameters) of each mutating EC2 request, in the order moto got them."""
        with urllib.request.urlopen(
            f"{self.url}/moto-api/recorder/download-recording", timeout=10
        ) as reply:
            lines = reply.read().decode().splitlines()
        found = []
        for line in lines:
            entry = json.loads(line)
            body = str(entry.get("body") or "")
            if entry.get("body_encoded"):
                body = base64.b64decode(body).decode()
            params = urllib.parse.parse_qs(body)
            action = params.get("Action", [""])[0]
            if action in MUTATING:
                found.append((action, params))
        return found


@pytest.fixture
def recording(
    moto: MotoEndpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MotoRecording]:
    from moto.moto_api import recorder as moto_recorder

    # The server runs in this process: its recording goes to this test's folder, not the cwd.
    monkeypatch.setattr(moto_recorder, "_location", str(tmp_path / "moto_recording"))
    recorder = MotoRecording(moto.url)
    try:
        yield recorder
    finally:
        recorder._post("stop-recording")
        recorder._post("reset-recording")


def configure(config_file: Path, sshd: SshServer, port: int | None = None) -> None:
    """devbox is reached at the test sshd (or at `port`, where nothing answers)."""
    config_file.write_text(
        '[aws]\nregion = "eu-west-1"\n[polling]\nfast_seconds = 0.01\n\n[vm."devbox"]\n'
        f'host = "127.0.0.1"\nport = {port or sshd.port}\nuser = "{sshd.user}"\n'
        f'identity_file = "{sshd.client_key}"\n'
    )


def instance(vm_id: str) -> dict[str, object]:
    reply = ec2_client().describe_instances(InstanceIds=[vm_id])
    found: dict[str, object] = reply["Reservations"][0]["Instances"][0]
    return found


def tags(vm_id: str) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in instance(vm_id).get("Tags", [])}  # type: ignore[attr-defined]


def one(actions: list[tuple[str, dict[str, list[str]]]], name: str) -> dict[str, list[str]]:
    [params] = [p for a, p in actions if a == name]
    return params


def test_on_demand_to_spot_and_back_keeping_the_disk(
    recording: MotoRecording, sshd: SshServer, config_file: Path, isolated_home: Path
) -> None:
    configure(config_file, sshd)
    old = run_instance("devbox", instance_type="t3.large", extra_tags=[("team", "data")])
    recording.start()
    result = cli("market", "spot", "devbox", "--yes")
    assert result.returncode == 0, result.stderr
    actions = recording.actions()
    assert [a for a, _ in actions] == [
        "StopInstances",
        "CreateImage",
        "RunInstances",
        "CreateTags",  # the new one becomes my VM ...
        "CreateTags",  # ... the old one is marked replaced ...
        "DeleteTags",  # ... and is no longer mine
        "DeleteTags",  # the switch mark comes off the new one
        "TerminateInstances",
        "DeregisterImage",
        "DeleteSnapshot",
    ]
    assert one(actions, "StopInstances")["InstanceId.1"] == [old]
    launch = one(actions, "RunInstances")
    assert launch["InstanceType"] == ["t3.large"]
    assert launch["InstanceMarketOptions.MarketType"] == ["spot"]
    assert launch["InstanceMarketOptions.SpotOptions.SpotInstanceType"] == ["persistent"]
    assert launch["InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior"] == ["stop"]
    assert launch["SubnetId"] == [instance(old)["SubnetId"]]
    assert launch["ImageId"] == [one(actions, "DeregisterImage")["ImageId"][0]]
    assert one(actions, "TerminateInstances")["InstanceId.1"] == [old]

    status = cli("status", "--json")
    [vm] = json.loads(status.stdout)
    new = vm["id"]
    assert new != old and vm["market"] == "spot" and vm["size"] == "t3.large"
    assert tags(new) == {"Name": "devbox", "Owner": "moto", "team": "data"}
    assert "- launching the new instance (spot)" in result.stderr
    assert f"devbox is now spot: {new}." in result.stdout
    # The SSH block follows the new instance: its entry names the new id, not the old one.
    block = (isolated_home / ".ssh" / "config").read_text()
    assert new in block and old not in block

    back = cli("market", "on-demand", "devbox", "--yes")
    assert back.returncode == 0, back.stderr
    relaunch = [p for a, p in recording.actions() if a == "RunInstances"][-1]
    assert "InstanceMarketOptions.MarketType" not in relaunch
    [vm] = json.loads(cli("status", "--json").stdout)
    assert vm["market"] == "on-demand" and vm["id"] not in (old, new)


def test_a_new_instance_that_never_answers_restarts_the_old_vm(
    recording: MotoRecording, sshd: SshServer, config_file: Path
) -> None:
    configure(config_file, sshd, port=free_port())  # nothing listens there
    old = run_spot_instance("devbox")
    recording.start()
    result = cli("market", "on-demand", "devbox", "--yes")
    assert result.returncode == 1
    assert "did not answer over SSH" in result.stderr
    assert "Traceback" not in result.stderr
    actions = recording.actions()
    assert [a for a, _ in actions] == [
        "StopInstances",
        "CreateImage",
        "RunInstances",
        "TerminateInstances",  # the new one goes
        "StartInstances",  # the old one runs again
        "DeregisterImage",
        "DeleteSnapshot",
    ]
    new = one(actions, "TerminateInstances")["InstanceId.1"][0]
    assert new != old
    assert one(actions, "StartInstances")["InstanceId.1"] == [old]
    assert instance(old)["State"]["Name"] == "running"  # type: ignore[index]
    assert tags(old)["Owner"] == "moto"


def test_without_yes_or_a_terminal_the_old_instance_is_kept(
    recording: MotoRecording, sshd: SshServer, config_file: Path
) -> None:
    configure(config_file, sshd)
    old = run_instance("devbox")
    recording.start()
    result = cli("market", "spot", "devbox")
    assert result.returncode == 0, result.stderr
    assert "TerminateInstances" not in [a for a, _ in recording.actions()]
    assert instance(old)["State"]["Name"] == "stopped"  # type: ignore[index]
    assert "Owner" not in tags(old) and tags(old)["devtray:replaced-by"].startswith("i-")
    assert f"The old instance {old} is stopped and kept" in result.stdout


def test_a_spot_start_refused_for_capacity_offers_the_switch(moto: MotoEndpoint) -> None:
    provider = make_provider()
    vm_id = run_spot_instance("devbox")
    ec2_client().stop_instances(InstanceIds=[vm_id])
    # Fake boundary: moto cannot run out of spot capacity.
    InjectedError(provider.ec2, "StartInstances", "InsufficientInstanceCapacity")
    with pytest.raises(errors.InsufficientCapacity) as raised:
        provider.start_vm(vm_id)
    assert (
        raised.value.hint
        == f"Start as on-demand, keeping the disk: devtray market on-demand {vm_id}"
    )
    vm = provider.refresh(vm_id)
    assert vm.market is Market.SPOT and vm.state is VmState.STOPPED


def test_sigterm_while_waiting_for_ssh_rolls_back(
    recording: MotoRecording, sshd: SshServer, config_file: Path
) -> None:
    configure(config_file, sshd, port=free_port())  # the new instance never answers ...
    text = config_file.read_text().replace("fast_seconds = 0.01", "fast_seconds = 0.2")
    config_file.write_text(text)  # ... and devtray would wait 30 s for it
    old = run_instance("devbox")
    recording.start()
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "market", "spot", "devbox", "--yes"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # bounded: the child ends within its own 30 s wait
            seen.append(line)
            if line.startswith("- waiting until SSH answers"):
                process.send_signal(signal.SIGTERM)
                break
        rest = process.communicate(timeout=60)[1]
    finally:
        process.kill()
    assert process.returncode == 1, "".join(seen) + rest
    assert "- starting the old VM again" in rest and "interrupted" in rest
    assert [a for a, _ in recording.actions()][-4:] == [
        "TerminateInstances",
        "StartInstances",
        "DeregisterImage",
        "DeleteSnapshot",
    ]
    assert instance(old)["State"]["Name"] == "running"  # type: ignore[index]
    assert tags(old)["Owner"] == "moto"
