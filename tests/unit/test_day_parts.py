"""The day's small parts: the config snapshot and the rows that read it, the day record, the
handover protocol's parsing, the words of a day's end."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from desktop.core.config import load_config
from desktop.core.errors import BadConfig
from desktop.core.model import VmSnapshot, VmState
from desktop.presentation.glance import TrayView
from desktop.presentation.rows import OpenInMenu, TunnelsMenu
from desktop.remote.ssh_probe import ProbeAnswer
from desktop.remote.supervisor import Supervisor
from desktop.services import handover
from desktop.services.config import ConfigSource
from desktop.services.connect import ConnectService
from desktop.services.day import DayEnded
from desktop.services.day_store import DayRecord, DayStore
from tests.integration.connect_helpers import devtray

VM = VmSnapshot("aws", "i-1", "devbox", "eu-west-1", VmState.RUNNING, "t3.micro")
VIEW = TrayView(vms=(VM,), loaded=True)


def _labels(menu: OpenInMenu) -> list[str]:
    return [str(item.text) for item in menu.items(VM, VIEW)]


def _touch_later(path: Path) -> None:
    # A second later than before, so the mtime check sees it on any file system.
    stamp = path.stat().st_mtime + 1
    os.utime(path, (stamp, stamp))


def test_rows_read_the_snapshot_and_a_poll_takes_changes(config_file: Path, tmp_path: Path) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / ".devtray.toml").write_text('ports = ["8000"]\n')
    config_file.write_text(f'[connect]\nproject = "{project}"\n')
    source = ConfigSource(load_config())
    connect = ConnectService(source, Supervisor(tmp_path / "children"))
    menu = OpenInMenu(connect)
    assert "Open in VS Code (app)" in _labels(menu)

    # The menu opening never reads the disk: a broken file shows only after the next poll.
    (project / ".devtray.toml").write_text("ports = [\n")
    _touch_later(project / ".devtray.toml")
    assert "Open in VS Code (app)" in _labels(menu)
    assert source.poll()
    assert "Open in VS Code" in _labels(menu)  # project unreadable: no name
    with pytest.raises(BadConfig):
        source.project()

    # The config file itself: a new project folder is taken on the next poll.
    other = tmp_path / "api"
    other.mkdir()
    config_file.write_text(f'[connect]\nproject = "{other}"\n')
    _touch_later(config_file)
    assert source.poll()
    assert "Open in VS Code (api)" in _labels(menu)
    tunnels = TunnelsMenu(connect).items(VM, VIEW)
    assert str(tunnels[0].reason) == "no ports configured"
    assert not source.poll()  # nothing changed since


def test_a_config_that_became_invalid_keeps_the_last_good_snapshot(
    config_file: Path, tmp_path: Path
) -> None:
    config_file.write_text("[polling]\nfast_seconds = 1\n")
    source = ConfigSource(load_config())
    config_file.write_text("[polling]\nfast_seconds = 'soon'\n")
    _touch_later(config_file)
    assert not source.poll()
    assert source.current().polling.fast_seconds == 1


def test_the_day_record_survives_and_a_damaged_one_is_no_day(tmp_path: Path) -> None:
    store = DayStore(tmp_path / "day.json")
    assert store.load() is None
    record = DayRecord(tmp_path / "app", "i-1", "devbox", "aws", "/srv/app", open_ide=True)
    store.save(record)
    assert DayStore(tmp_path / "day.json").load() == record
    (tmp_path / "day.json").write_text(json.dumps({"vm_id": "i-1"}))
    assert store.load() is None
    (tmp_path / "day.json").write_text("{not json")
    assert store.load() is None
    store.clear()
    store.clear()  # twice is fine
    assert not (tmp_path / "day.json").exists()


def test_handover_requests_round_trip_and_bad_ones_are_refused(tmp_path: Path) -> None:
    up = handover.DayRequest(handover.Command.UP, tmp_path, open_ide=True)
    assert handover.decode_request(handover.encode_request(up)) == up
    down = handover.DayRequest(handover.Command.DOWN, None)
    assert handover.decode_request(handover.encode_request(down)) == down
    assert handover.decode_request(b"show-menu\n") is None
    for bad in (
        b'{"cmd": "rm -rf"}\n',
        b'{"cmd": "day.up", "dir": "relative/path"}\n',
        b'{"cmd": "day.up"}\n',
        b'{"cmd": "day.up", "dir": "/abs", "open_ide": "yes"}\n',
        b"{broken\n",
    ):
        with pytest.raises(BadConfig):
            handover.decode_request(bad)


def test_no_tray_listening_means_the_cli_runs_the_day(tmp_path: Path) -> None:
    request = handover.DayRequest(handover.Command.DOWN, None)
    assert handover.ask_tray("devtray-test-nobody-here", request, lambda _: None) is None


def test_a_days_end_says_what_it_cost() -> None:
    ended = DayEnded("devbox", True, timedelta(hours=7, minutes=12), 1.372)
    assert ended.describe() == "Today: 7 h 12 min, $1.37"
    assert DayEnded("devbox", True, timedelta(minutes=5)).describe() == "Today: 5 min"
    assert DayEnded("devbox", True).describe() == "devbox stopped."


def test_ssh_answers_that_waiting_will_not_change() -> None:
    assert ProbeAnswer(False, "user@127.0.0.1: Permission denied (publickey).").permanent
    assert ProbeAnswer(False, "Host key verification failed.").permanent
    assert not ProbeAnswer(False, "connect to host 127.0.0.1 port 22: Connection refused").permanent
    assert not ProbeAnswer(False, "ssh timed out").permanent


def test_down_without_a_day_says_so(config_file: Path) -> None:
    config_file.write_text("")
    code, out, err = devtray("down")
    assert code == 1
    assert out == ""
    assert "No day is running." in err
    assert "devtray down DIR" in err
    assert "Traceback" not in err
