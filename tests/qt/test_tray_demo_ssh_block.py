"""The demo's VM is a host a real VS Code can open: its `Host` is in ~/.ssh/config (what
Remote-SSH reads), in a block of its own beside devtray's, and gone again when the demo quits.

The tray is built the way production builds it, the demo's stand-in VM is a real sshd on
127.0.0.1, the real `ssh -G` resolves the alias; the IDE is the only fake (a named stand-in
`code` on PATH that records its argv).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pytestqt.qtbot import QtBot

from desktop.app import DemoWorldOnce
from desktop.remote.ssh_config import DEMO_BLOCK, HostEntry, merge_block, remove_block
from desktop.services.demo_world import create
from tests.conftest import require_tool
from tests.integration.test_open_ide import _recorded
from tests.qt.test_tray import open_menu
from tests.qt.test_tray_day import build_tray, demo_session

USER_LINES = (
    b"# my own hosts\nHost jump\n    HostName jump.example.com\nHost *\n  ServerAliveInterval 60\n"
)
REAL_ENTRY = HostEntry(
    "devbox.devtray", "i-0123456789abcdef0", (("HostName", "203.0.113.7"), ("Port", "22"))
)


def resolved(ssh_config: Path, alias: str) -> dict[str, list[str]]:
    """`ssh -G -F FILE ALIAS`: every option ssh would use, as it prints them."""
    result = subprocess.run(
        ["ssh", "-G", "-F", str(ssh_config), alias],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    options: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        options.setdefault(key, []).append(value)
    return options


@pytest.fixture
def ssh_config(isolated_home: Path) -> Path:
    """~/.ssh/config with the user's lines and devtray's real block, as `devtray ssh-config`
    leaves it."""
    path = isolated_home / ".ssh" / "config"
    path.parent.mkdir(mode=0o700)
    path.write_bytes(merge_block(USER_LINES, [REAL_ENTRY], path))
    return path


def test_the_demos_day_puts_its_host_in_ssh_config_for_vscode_and_quitting_takes_it_out(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ssh_config: Path
) -> None:
    require_tool("ssh", "sshd")
    code_args = demo_session(tmp_path, monkeypatch)
    before = ssh_config.read_bytes()

    world = DemoWorldOnce()
    tray = build_tray(qtbot, demo=world)
    try:
        open_menu(tray)["day:primary"].trigger()
        qtbot.waitUntil(lambda: tray.day_actions.shown != [], timeout=60000)
        assert tray.day_actions.shown[0].title == "demo-devbox is ready", tray.day_actions.shown
        demo = world.get()
        access = demo.standin.access

        # The IDE was asked for the demo's alias, and that alias resolves with the file
        # VS Code's Remote-SSH reads: the stand-in's loopback port, with the demo's key.
        uri = _recorded(code_args)[-1]
        parts = urlsplit(uri)
        assert parts.scheme == "vscode-remote"
        assert parts.netloc == "ssh-remote+demo-devbox.devtray"
        assert parts.path == str(demo.standin.disk / "hello-app")
        options = resolved(ssh_config, parts.netloc.removeprefix("ssh-remote+"))
        assert options["hostname"] == ["127.0.0.1"]
        assert options["port"] == [str(access.port)]
        assert options["user"] == [access.user]
        assert options["identityfile"] == [str(access.identity_file)]

        # The user's lines and devtray's own block are exactly as they were.
        during = ssh_config.read_bytes()
        assert DEMO_BLOCK.begin_marker.encode() in during
        assert remove_block(during, ssh_config, DEMO_BLOCK) == before
        assert resolved(ssh_config, "devbox.devtray")["hostname"] == ["203.0.113.7"]
    finally:
        tray.shutdown()  # Quit

    assert ssh_config.read_bytes() == before  # the demo's block is gone, nothing else changed


def test_a_crashed_demos_stale_block_is_removed_when_the_demo_starts_again(
    tmp_path: Path, ssh_config: Path
) -> None:
    before = ssh_config.read_bytes()
    stale = HostEntry(
        "demo-devbox.devtray", "demo-0001", (("HostName", "127.0.0.1"), ("Port", "1"))
    )
    ssh_config.write_bytes(merge_block(before, [stale], ssh_config, DEMO_BLOCK))

    world = create(tmp_path / "demo")
    try:
        assert ssh_config.read_bytes() == before
    finally:
        world.close()
    assert ssh_config.read_bytes() == before
