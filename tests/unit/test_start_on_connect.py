"""Start on connect's pieces: the intent rule and store, and the ProxyCommand as parsers see it."""

from __future__ import annotations

import shlex
import shutil
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paramiko
import pytest

from desktop.core.config import Config, ConnectConfig, SshSettings, load_config
from desktop.core.errors import BadConfig, Offline
from desktop.core.model import VmSnapshot, VmState
from desktop.core.stop_intent import (
    StopIntent,
    StopIntentStore,
    StopSource,
    holding_intent,
    record_user_stop,
)
from desktop.remote.relay import wait_for_ssh
from desktop.remote.ssh_config import (
    EntryPaths,
    SsmProxy,
    entries_for,
    host_entry,
    render_block,
    with_start_on_connect,
)
from desktop.system.bundle import cli_command
from tests.conftest import require_tool

STOPPED_AT = datetime(2026, 12, 4, 14, 2, tzinfo=UTC)
GRACE = timedelta(minutes=15)
PATHS = EntryPaths(known_hosts=Path("/home/me/.ssh/devtray_known_hosts"), control_dir=None)


def _intent(by: StopSource = StopSource.TRAY) -> StopIntent:
    return StopIntent(vm_id="i-0123456789abcdef0", at=STOPPED_AT, by=by)


@pytest.mark.parametrize(
    ("minutes_later", "launched_at", "holds"),
    [
        (1, None, True),  # stopped on purpose a minute ago: connecting leaves it stopped
        (14.9, STOPPED_AT - timedelta(hours=3), True),  # launched before the stop
        (15, None, False),  # the grace is over
        (60, None, False),
        (5, STOPPED_AT + timedelta(minutes=2), False),  # started again since: a later stop
    ],
)
def test_a_user_stop_holds_for_the_grace_unless_the_vm_ran_again(
    minutes_later: float, launched_at: datetime | None, holds: bool
) -> None:
    now = STOPPED_AT + timedelta(minutes=minutes_later)
    found = holding_intent(_intent(), now=now, grace=GRACE, launched_at=launched_at)
    assert (found == _intent()) is holds


def test_without_a_user_stop_nothing_holds() -> None:
    """Auto-stop and the cloud record nothing: their stops start on connect."""
    assert holding_intent(None, now=STOPPED_AT, grace=GRACE, launched_at=None) is None


def test_the_store_keeps_the_last_stop_per_vm(tmp_path: Path) -> None:
    store = StopIntentStore(tmp_path / "state" / "stop_intents.json")
    assert store.load("i-0123456789abcdef0") is None
    store.record(_intent(StopSource.CLI_STOP))
    record_user_stop("i-0123456789abcdef0", StopSource.END_OF_DAY, store)
    record_user_stop("vm-2", StopSource.TRAY, store)
    latest = store.load("i-0123456789abcdef0")
    assert latest is not None and latest.by is StopSource.END_OF_DAY
    assert latest.at > STOPPED_AT and latest.at.tzinfo is not None
    assert store.load("vm-2") is not None


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[]",
        b'{"i-1": {"at": "yesterday", "by": "TRAY"}}',
        b'{"i-1": {"at": "2026-12-04T14:02:00", "by": "TRAY"}}',
        b'{"i-1": {"at": "2026-12-04T14:02:00+00:00", "by": "SOMEONE"}}',
    ],
)
def test_a_damaged_record_holds_nothing(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "stop_intents.json"
    path.write_bytes(content)
    assert StopIntentStore(path).load("i-1") is None


def test_the_config_keys_and_their_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "missing.toml").connect == ConnectConfig()
    assert ConnectConfig().start_on_connect and ConnectConfig().start_on_connect_grace == 15
    path = tmp_path / "config.toml"
    path.write_text("[connect]\nstart_on_connect = false\nstart_on_connect_grace = 5\n")
    connect = load_config(path).connect
    assert not connect.start_on_connect and connect.start_on_connect_grace == 5
    path.write_text('[connect]\nstart_on_connect = "yes"\n')
    with pytest.raises(BadConfig, match="connect.start_on_connect must be true or false"):
        load_config(path)


def _vm(**kw: object) -> VmSnapshot:
    fields: dict[str, object] = {
        "provider": "aws",
        "id": "i-0123456789abcdef0",
        "name": "devbox",
        "region": "eu-west-1",
        "state": VmState.STOPPED,
        "size": "t3.micro",
    }
    fields.update(kw)
    return VmSnapshot(**fields)  # type: ignore[arg-type]


DEVTRAY = ["/Users/me/Library/Application Support/devtray/bin/devtray"]


def _entry_with_proxy(devtray: list[str], ssm: SsmProxy | None = None) -> str:
    settings = SshSettings(host=None if ssm else "127.0.0.1", port=2222, user="dev")
    entry = host_entry(_vm(), "devbox.devtray", settings, PATHS, ssm=ssm)
    assert entry is not None
    return render_block([with_start_on_connect(entry, devtray)]).decode()


def test_the_proxy_command_survives_ssh_g_and_paramiko_with_spaces_in_the_path(
    tmp_path: Path,
) -> None:
    require_tool("ssh")
    config = tmp_path / "config"
    config.write_text(_entry_with_proxy(DEVTRAY))
    seen = subprocess.run(
        ["ssh", "-G", "-F", str(config), "devbox.devtray"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    proxy = next(line for line in seen.splitlines() if line.startswith("proxycommand "))
    # The shell that ssh runs the command with sees the path as one quoted word.
    expected = DEVTRAY[0]
    assert shlex.split(proxy.removeprefix("proxycommand ")) == [
        expected,
        "connect-proxy",
        "devbox.devtray",
        "%h",
        "%p",
    ]
    parsed = paramiko.SSHConfig.from_path(str(config)).lookup("devbox.devtray")
    assert shlex.split(parsed["proxycommand"]) == [
        expected,
        "connect-proxy",
        "devbox.devtray",
        "127.0.0.1",
        "2222",
    ]


def test_a_percent_in_the_path_is_not_an_ssh_token() -> None:
    block = _entry_with_proxy(["/opt/100%/devtray"])
    assert '"/opt/100%%/devtray" connect-proxy devbox.devtray %h %p' in block


def test_the_proxy_command_runs_before_the_ssm_proxy(tmp_path: Path) -> None:
    ssm = SsmProxy(aws_cli=Path("/opt/aws cli/aws"), profile="work")
    block = _entry_with_proxy(["/usr/bin/python3", "-m", "desktop"], ssm)
    line = next(line for line in block.splitlines() if "ProxyCommand" in line)
    words = shlex.split(line.split(" ", 3)[3])
    at = words.index("--")
    assert words[:at] == [
        "/usr/bin/python3",
        "-m",
        "desktop",
        "connect-proxy",
        "devbox.devtray",
        "%h",
        "%p",
    ]
    assert words[at + 1 : at + 4] == ["/opt/aws cli/aws", "ssm", "start-session"]
    assert "portNumber=%p" in words and words[-2:] == ["--profile", "work"]


@pytest.mark.parametrize("bad", ["/opt/$(reboot)/devtray", "/opt/`id`/devtray", '/opt/"x/devtray'])
def test_a_devtray_path_the_shell_would_expand_is_refused(bad: str) -> None:
    with pytest.raises(BadConfig):
        _entry_with_proxy([bad])


def test_start_on_connect_off_writes_no_proxy_command() -> None:
    vm = _vm(state=VmState.RUNNING)
    settings = SshSettings(host="127.0.0.1")
    on = entries_for([vm], Config(ssh=settings), PATHS)
    off = entries_for(
        [vm], Config(ssh=settings, connect=ConnectConfig(start_on_connect=False)), PATHS
    )
    assert "ProxyCommand" in dict(on[0].options)
    assert "ProxyCommand" not in dict(off[0].options)


def test_the_proxy_command_names_devtray_by_absolute_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """GUI IDEs run ssh without the shell's PATH: never a bare `devtray`."""
    monkeypatch.setenv("PATH", "/nonexistent")
    entry = entries_for([_vm()], Config(ssh=SshSettings(host="127.0.0.1")), PATHS)[0]
    first = shlex.split(dict(entry.options)["ProxyCommand"])[0]
    assert Path(first).is_absolute() and shutil.which(first) is not None


def test_waiting_for_ssh_is_bounded_and_names_what_answered() -> None:
    """A port that only refuses, then one that answers with something else than SSH."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(Offline, match=r"SSH on devbox \(127\.0\.0\.1 port \d+\) did not"):
            wait_for_ssh("127.0.0.1", port, 0.5, what="devbox")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        stop = threading.Event()

        def answer_http() -> None:
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

        thread = threading.Thread(target=answer_http)
        thread.start()
        try:
            with pytest.raises(Offline, match="something other than SSH answered"):
                wait_for_ssh("127.0.0.1", server.getsockname()[1], 1.5, what="devbox")
        finally:
            stop.set()
            thread.join(5)


def test_an_installed_app_runs_its_console_executable_as_the_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tray runs as the windowed devtrayw.exe on Windows; ssh needs the console one."""
    for name in ("devtrayw.exe", "devtray.exe"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "devtrayw.exe"))
    monkeypatch.setattr(sys, "platform", "win32")
    assert cli_command() == [str(tmp_path / "devtray.exe")]


def test_a_devtray_script_on_path_is_named_by_its_resolved_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "venv" / "bin" / "devtray"
    real.parent.mkdir(parents=True)
    real.write_text("#!/bin/sh\n")
    real.chmod(0o755)
    linked = tmp_path / "bin"
    linked.mkdir()
    (linked / "devtray").symlink_to(real)
    monkeypatch.setenv("PATH", str(linked))
    assert cli_command() == [str(real)]


@pytest.mark.parametrize(
    ("folder", "app"),
    [("Visual Studio Code", "VS Code"), ("PyCharm", "PyCharm"), ("terminal", None)],
)
def test_the_app_that_ran_ssh_is_named(tmp_path: Path, folder: str, app: str | None) -> None:
    """Stand-ins (named fakes) for an IDE that runs ssh, which runs the proxy."""
    require_tool("ps")
    ide = tmp_path / folder / "fake-ide"
    ssh = tmp_path / "fake-ssh"
    ide.parent.mkdir()
    ide.write_text(f'#!/bin/sh\n"{ssh}"\n')  # not exec: the IDE stays the parent of ssh
    ssh.write_text(
        f'#!/bin/sh\n"{sys.executable}" -c '
        '"from desktop.remote.connecting_app import connecting_app; print(connecting_app())"\n'
    )
    for script in (ide, ssh):
        script.chmod(0o755)
    result = subprocess.run([str(ide)], capture_output=True, text=True, timeout=30, check=True)
    assert result.stdout.strip() == str(app)
