"""The VM agent script on its own, over pipes: what it refuses, what it keeps, what it leaves.

The script runs as a child process exactly as on the VM (stdlib only, frames on stdin and
stdout), with HOME pointed at a temporary folder so the home rules can be checked safely.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.remote.sync import agent_vm


class Agent:
    """A running agent script and a way to ask it things."""

    def __init__(self, home: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, agent_vm.__file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "HOME": str(home)},
        )
        self.next_id = 0
        greeting = self.read()
        assert greeting["agent"] == agent_vm.VERSION

    def send(self, header: dict[str, Any], body: bytes = b"") -> int:
        assert self.process.stdin is not None
        self.next_id += 1
        self.process.stdin.write(agent_vm.frame({"id": self.next_id, **header}, body))
        self.process.stdin.flush()
        return self.next_id

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        received = agent_vm.read_frame(self.process.stdout)
        assert received is not None
        return received[0]

    def ask(self, header: dict[str, Any], body: bytes = b"") -> dict[str, Any]:
        ident = self.send(header, body)
        answer = self.read()
        assert answer["id"] == ident
        return answer

    def close(self) -> int:
        if self.process.stdin is not None:
            self.process.stdin.close()
        return self.process.wait(timeout=10)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home" / "dev"
    folder.mkdir(parents=True)
    (folder / ".ssh").mkdir()
    (folder / ".ssh" / "authorized_keys").write_text("ssh-ed25519 AAAA the user's key\n")
    # ~/app as the laptop's owned-folder check leaves it: marked.
    (folder / "app" / agent_vm.OWNED).parent.mkdir(parents=True)
    (folder / "app" / agent_vm.OWNED).write_text('{"owner": "devtray"}\n')
    return folder


@pytest.fixture
def agent(home: Path) -> Iterator[Agent]:
    running = Agent(home)
    yield running
    running.close()


def _put(path: str, data: bytes, **extra: Any) -> tuple[dict[str, Any], bytes]:
    return {"op": "put", "path": path, "mode": 0o644, "mtime_ns": 10**18, **extra}, data


def _listing(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.parametrize("root", ["~", "/", "HOME_PARENT", "~/work", "~/absent", "~/empty"])
def test_a_folder_without_the_owned_marker_is_refused_and_left_alone(
    agent: Agent, home: Path, root: str
) -> None:
    """The laptop's owned-folder check marks the folder before the agent starts; a folder
    without the marker (the check did not pass, or it went away since) is never written."""
    (home / "work").mkdir()
    (home / "work" / "thesis.tex").write_text("years of work")
    (home / "empty").mkdir()
    before = _listing(home)
    answer = agent.ask({"op": "hello", "root": str(home.parent) if root == "HOME_PARENT" else root})
    assert answer["refused"] is True
    assert ".devtray/owned" in answer["error"]
    # Refused before anything: nothing changed, nothing else is served.
    assert agent.ask({"op": "delete", "path": "work/thesis.tex"})["refused"] is True
    assert _listing(home) == before


def test_paths_that_escape_the_folder_are_refused(agent: Agent, home: Path, tmp_path: Path) -> None:
    assert agent.ask({"op": "hello", "root": "~/app"})["ok"]
    root = home / "app"
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "linked").symlink_to(outside)  # someone made this link on the VM
    escapes = [
        _put("../escaped.txt", b"x"),
        _put("/tmp/escaped.txt", b"x"),
        _put("a/../../escaped.txt", b"x"),
        _put("./escaped.txt", b"x"),
        _put(".devtray/owned", b"x"),
        _put("linked/escaped.txt", b"x"),  # writing through a symlinked parent
        _put("linked/deeper/escaped.txt", b"x"),
        ({"op": "delete", "path": "../home"}, b""),
        ({"op": "delete", "path": "linked/anything"}, b""),
        ({"op": "mkdir", "path": "linked/newdir", "mode": 0o755}, b""),
        ({"op": "symlink", "path": "out", "target": "../../.ssh"}, b""),
        ({"op": "symlink", "path": "abs", "target": "/etc/passwd"}, b""),
        ({"op": "symlink", "path": "sub/up", "target": "../../x"}, b""),
        ({"op": "read", "path": "../../.ssh/authorized_keys"}, b""),
        ({"op": "hash", "paths": ["../.ssh/authorized_keys"]}, b""),
    ]
    for header, body in escapes:
        answer = agent.ask(header, body)
        if header["op"] == "hash":
            assert answer["hashes"] == {"../.ssh/authorized_keys": None}
        elif header["op"] == "delete" and header["path"] == "linked/anything":
            assert answer["changed"] is False  # not followed, nothing deleted
        else:
            assert answer.get("refused") is True, (header, answer)
    assert list(outside.iterdir()) == []
    assert not (home / "escaped.txt").exists()
    assert not (root / "out").exists() and not (root / "abs").exists()
    assert (home / ".ssh" / "authorized_keys").exists()
    # Inside links stay fine.
    assert agent.ask({"op": "symlink", "path": "sub/ok", "target": "../linked"})["changed"]


def test_files_arrive_whole_with_mode_and_mtime_and_overwrites_go_to_the_trash(
    agent: Agent, home: Path
) -> None:
    assert agent.ask({"op": "hello", "root": "~/app"})["ok"]
    root = home / "app"
    header, _ = _put("bin/tool.sh", b"", mode=0o755, mtime_ns=1_600_000_000_123_456_789)
    # Three pipelined chunks under one id: one answer, after the last.
    ident = agent.send({**header, "offset": 0, "final": False}, b"#!/bin/sh\n")
    assert not (root / "bin" / "tool.sh").exists()  # not in place before it is whole
    agent.process.stdin.write(  # type: ignore[union-attr]
        agent_vm.frame({**header, "id": ident, "offset": 10, "final": False}, b"echo ")
        + agent_vm.frame({**header, "id": ident, "offset": 15, "final": True}, b"ok\n")
    )
    agent.process.stdin.flush()  # type: ignore[union-attr]
    assert agent.read() == {"ok": True, "changed": True, "id": ident}
    tool = root / "bin" / "tool.sh"
    assert tool.read_bytes() == b"#!/bin/sh\necho ok\n"
    assert tool.stat().st_mode & 0o777 == 0o755
    assert tool.stat().st_mtime_ns == 1_600_000_000_123_456_789

    assert agent.ask(*_put("bin/tool.sh", b"v2"))["ok"]
    assert agent.ask({"op": "delete", "path": "bin"})["changed"] is True
    kept = sorted(p.read_bytes() for p in (root / ".devtray" / "trash").rglob("tool.sh~*"))
    assert kept == [b"#!/bin/sh\necho ok\n", b"v2"]
    assert not (root / "bin").exists()


def test_a_file_cut_off_mid_way_is_never_left_in_place(home: Path) -> None:
    first = Agent(home)
    assert first.ask({"op": "hello", "root": "~/app"})["ok"]
    header, _ = _put("big.bin", b"")
    first.send({**header, "offset": 0, "final": False}, b"half of it")
    assert first.close() == 0  # the link dropped
    root = home / "app"
    assert not (root / "big.bin").exists()
    second = Agent(home)
    try:
        assert second.ask({"op": "hello", "root": "~/app"})["ok"]
        assert list((root / ".devtray" / "incoming").iterdir()) == []  # leftovers cleared
    finally:
        second.close()


def test_a_refused_chunked_file_is_answered_once(agent: Agent, home: Path) -> None:
    assert agent.ask({"op": "hello", "root": "~/app"})["ok"]
    header, _ = _put("../out.bin", b"")
    ident = agent.send({**header, "offset": 0, "final": False}, b"a")
    agent.process.stdin.write(  # type: ignore[union-attr]
        agent_vm.frame({**header, "id": ident, "offset": 1, "final": True}, b"b")
    )
    agent.process.stdin.flush()  # type: ignore[union-attr]
    refused = agent.read()
    assert refused["id"] == ident and refused["refused"] is True
    answer = agent.ask({"op": "mkdir", "path": "after", "mode": 0o755})
    assert answer["changed"] is True  # the stream stayed in step
