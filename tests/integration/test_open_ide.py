"""`devtray open`: the exact arguments reach the IDE.

The IDEs are the one boundary we cannot run here, so each is a recording stand-in (a fake
executable named like the real one) that writes its argv to a file; everything up to the
exec — VM lookup on moto, the SSH config, the remote home over a real sshd — is real.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from desktop.remote import ide
from tests.conftest import require_tool
from tests.integration.connect_helpers import (
    devtray,
    moto_vm,
    shared_connections_closed,
    write_config,
)
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer

ALIAS = "devbox.devtray"


def _fake_ide(bin_dir: Path, name: str) -> Path:
    """A stand-in for an IDE's launcher that records its arguments, one per line."""
    record = bin_dir / f"{name}.args"
    script = bin_dir / name
    script.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}.tmp"\nmv "{record}.tmp" "{record}"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return record


def _recorded(record: Path, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if record.exists():
            return record.read_text().splitlines()
        time.sleep(0.02)
    raise AssertionError(f"{record.name} was never written: the IDE was not started")


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH with the fakes first and only system folders (no real IDE) after them."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin")
    return bin_dir


@pytest.fixture
def project(tmp_path: Path, moto: MotoEndpoint, sshd: SshServer, config_file: Path) -> Path:
    moto_vm("devbox")
    write_config(config_file, sshd)
    root = tmp_path / "my project"
    root.mkdir()
    return root


def test_vscode_gets_the_remote_folder_uri(fake_bin: Path, project: Path) -> None:
    record = _fake_ide(fake_bin, "code")
    (project / ".devtray.toml").write_text('remote_path = "/srv/my app"\n')
    code, out, err = devtray("open", "vscode", str(project))
    assert code == 0, err
    assert _recorded(record) == ["--folder-uri", f"vscode-remote://ssh-remote+{ALIAS}/srv/my%20app"]
    assert "Opened code" in out


def test_a_home_relative_path_is_resolved_on_the_vm_over_ssh(
    fake_bin: Path, project: Path, sshd: SshServer, isolated_home: Path
) -> None:
    record = _fake_ide(fake_bin, "cursor")  # no `code`: Cursor is the next choice
    (project / ".devtray.toml").write_text('remote_path = "~/src/app"\n')
    with shared_connections_closed(isolated_home / ".ssh" / "config", ALIAS):
        code, _, err = devtray("open", "vscode", str(project))
    assert code == 0, err
    home = os.path.expanduser(f"~{sshd.user}")
    assert _recorded(record) == [
        "--folder-uri",
        f"vscode-remote://ssh-remote+{ALIAS}{home}/src/app",
    ]


def test_without_a_code_command_the_vscode_url_is_opened(
    fake_bin: Path, project: Path, isolated_home: Path
) -> None:
    # The desktop has an application for vscode:// links (registered as VS Code's .deb does).
    applications = isolated_home / ".local" / "share" / "applications"
    applications.mkdir(parents=True)
    (applications / "code-url-handler.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Visual Studio Code - URL Handler\n"
        "Exec=code --open-url %U\nMimeType=x-scheme-handler/vscode;\nNoDisplay=true\n"
    )
    subprocess.run(
        ["xdg-mime", "default", "code-url-handler.desktop", "x-scheme-handler/vscode"],
        check=True,
        timeout=30,
    )
    record = _fake_ide(fake_bin, "xdg-open")
    (project / ".devtray.toml").write_text('remote_path = "/srv/app"\n')
    code, _, err = devtray("open", "vscode", str(project))
    assert code == 0, err
    assert _recorded(record) == [f"vscode://vscode-remote/ssh-remote+{ALIAS}/srv/app"]


def test_pycharm_opens_the_local_project(fake_bin: Path, project: Path) -> None:
    record = _fake_ide(fake_bin, "pycharm")
    code, _, err = devtray("open", "pycharm", str(project))
    assert code == 0, err
    assert _recorded(record) == [str(project)]


def test_gateway_gets_the_ssh_connect_link(fake_bin: Path, project: Path, sshd: SshServer) -> None:
    record = _fake_ide(fake_bin, "gateway")
    (project / ".devtray.toml").write_text('remote_path = "/srv/app"\n')
    code, _, err = devtray("open", "gateway", str(project))
    assert code == 0, err
    assert _recorded(record) == [
        "jetbrains-gateway://connect#type=ssh&deploy=true&host=devbox.devtray"
        f"&port={sshd.port}&user={sshd.user}&projectPath=%2Fsrv%2Fapp&productCode=PY"
    ]


def test_a_missing_ide_is_a_clear_error_with_the_install_link(
    fake_bin: Path, project: Path
) -> None:
    code, _, err = devtray("open", "pycharm", str(project))
    assert code == 1
    assert "PyCharm was not found." in err
    assert "https://www.jetbrains.com/pycharm/" in err


def test_without_vscode_the_error_says_what_is_missing_and_where_to_get_it(
    fake_bin: Path, project: Path
) -> None:
    require_tool("xdg-mime")
    (project / ".devtray.toml").write_text('remote_path = "/srv/app"\n')
    code, _, err = devtray("open", "vscode", str(project))
    assert code == 1
    assert "VS Code was not found: there is no `code` command" in err
    assert "nothing on this computer opens vscode:// links" in err
    assert "https://code.visualstudio.com/download" in err and "Remote - SSH" in err
    assert "Traceback" not in err


def test_a_link_nothing_opens_is_an_error_and_leaves_no_zombie(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tool("xdg-open")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("BROWSER", raising=False)
    opener = shutil.which("xdg-open")
    assert opener is not None
    plan = ide.Launch((opener, "vscode://vscode-remote/x"), "vscode://vscode-remote/x", "Get it")
    with pytest.raises(ide.IdeMissing, match="Nothing on this computer opened") as raised:
        ide.launch(plan)
    assert raised.value.hint == "Get it"
    zombies = [c for c in psutil.Process().children() if c.status() == psutil.STATUS_ZOMBIE]
    assert zombies == []


def test_a_launched_ide_is_reaped_when_it_exits(fake_bin: Path) -> None:
    _fake_ide(fake_bin, "code")
    child = ide.launch(ide.Launch((str(fake_bin / "code"), "--version"), "code --version"))
    assert child is not None
    deadline = time.monotonic() + 10
    while child.returncode is None and time.monotonic() < deadline:
        time.sleep(0.02)  # the reaper thread waits for it; nothing here does
    assert child.returncode == 0
    assert not psutil.pid_exists(child.pid)
