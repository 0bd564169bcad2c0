"""Docker contexts per VM, against a recording stand-in for the docker CLI.

The docker CLI is not among the packages CI installs (Debian's docker.io brings a daemon,
containerd and iptables), so a fake `docker` that keeps contexts in a JSON file stands in.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from desktop.core.config import Config
from desktop.core.model import Addresses, VmSnapshot, VmState
from desktop.presentation.glance import TrayView
from desktop.remote.docker_context import ContextChange, ensure_context
from desktop.remote.supervisor import Supervisor
from desktop.services.config import ConfigSource
from desktop.services.connect import ConnectService

FAKE_DOCKER = """\
import json, sys
from pathlib import Path
store = Path(sys.argv[0]).with_suffix(".json")
contexts = json.loads(store.read_text()) if store.exists() else {}
with open(str(store) + ".calls", "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
verb, name = sys.argv[2], sys.argv[3]
if verb == "inspect":
    if name not in contexts:
        sys.exit("context not found")
    print(contexts[name])
elif verb in ("create", "update"):
    if name.startswith("broken"):
        sys.exit("permission denied")
    contexts[name] = sys.argv[-1].removeprefix("host=")
store.write_text(json.dumps(contexts))
"""


def _fake_docker(tmp_path: Path) -> Path:
    script = tmp_path / "fake_docker"
    script.write_text(f"#!{sys.executable}\n{FAKE_DOCKER}")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_created_then_unchanged_then_updated(tmp_path: Path) -> None:
    docker = _fake_docker(tmp_path)
    assert ensure_context(docker, "devbox.devtray") == (
        ContextChange.CREATED,
        "ssh://devbox.devtray",
    )
    assert ensure_context(docker, "devbox.devtray")[0] is ContextChange.UNCHANGED
    store = docker.with_suffix(".json")
    store.write_text(json.dumps({"devbox.devtray": "tcp://10.0.0.1:2375"}))
    assert ensure_context(docker, "devbox.devtray")[0] is ContextChange.UPDATED
    calls = [json.loads(line) for line in Path(f"{store}.calls").read_text().splitlines()]
    inspect = ["context", "inspect", "devbox.devtray", "--format", "{{.Endpoints.docker.Host}}"]
    assert calls == [
        inspect,
        [
            "context",
            "create",
            "devbox.devtray",
            "--description",
            "devtray VM over SSH",
            "--docker",
            "host=ssh://devbox.devtray",
        ],
        inspect,
        inspect,
        ["context", "update", "devbox.devtray", "--docker", "host=ssh://devbox.devtray"],
    ]


def test_a_docker_failure_is_reported_not_raised(tmp_path: Path) -> None:
    docker = _fake_docker(tmp_path)
    assert ensure_context(docker, "broken.devtray") == (
        ContextChange.FAILED,
        "not set: permission denied",
    )


def test_the_tray_creates_a_context_once_per_alias(
    tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = _fake_docker(bin_dir)
    docker.rename(bin_dir / "docker")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    service = ConnectService(ConfigSource(Config()), Supervisor(tmp_path / "children"))
    vm = VmSnapshot(
        "aws",
        "i-0123456789abcdef0",
        "devbox",
        "eu-west-1",
        VmState.RUNNING,
        "t3.micro",
        Addresses(public_ip="203.0.113.9"),
    )
    for address in ("203.0.113.9", "203.0.113.10"):  # a new IP after a restart
        service.refreshed.clear()
        moved = VmSnapshot(**{**vm.__dict__, "addresses": Addresses(public_ip=address)})
        service.on_view(TrayView(vms=(moved,), loaded=True))
        assert service.refreshed.wait(10)
    assert "HostName 203.0.113.10" in (isolated_home / ".ssh" / "config").read_text()
    calls = (bin_dir / "docker.json.calls").read_text().splitlines()
    # Created once; each refresh also lists the contexts to remove those of VMs now gone.
    assert [json.loads(call)[1] for call in calls] == ["inspect", "create", "ls", "ls"]
    store = json.loads((bin_dir / "docker.json").read_text())
    assert store == {"devbox.devtray": "ssh://devbox.devtray"}
