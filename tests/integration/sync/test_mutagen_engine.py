"""The Mutagen engine's conversation with `mutagen`, against a recording stand-in.

Mutagen cannot be installed from the registries CI reaches, so the binary is the one boundary
replaced here: a fake `mutagen` that records its arguments and answers with recorded output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psutil
import pytest

from desktop.core.errors import BadConfig
from desktop.core.project import load_project
from desktop.core.sync_state import SyncPhase
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync.choose import engine_kind
from desktop.remote.sync.mutagen import MutagenEngine
from desktop.remote.sync.target import SshTarget
from tests.integration.sync.conftest import VmUser
from tests.sshd import SshServer
from tests.sync_helpers import target_for

DATA = Path(__file__).parents[2] / "data" / "mutagen"

FAKE = '''#!{python}
"""A stand-in for mutagen: records argv, answers from recorded outputs."""
import json, os, sys, time
args = sys.argv[1:]
with open(os.environ["FAKE_MUTAGEN_LOG"], "a") as log:
    log.write(json.dumps([os.environ.get("MUTAGEN_DATA_DIRECTORY"), *args]) + "\\n")
if args == ["version"]:
    print(os.environ.get("FAKE_MUTAGEN_VERSION", "0.18.1"))
elif args[:2] == ["daemon", "run"]:
    while True:
        time.sleep(0.1)
elif args[:2] == ["daemon", "stop"]:
    sys.exit("Error: unable to connect to daemon: connection refused")
elif args[:2] == ["sync", "list"] and "--template" in args:
    sys.stdout.write(open(os.environ["FAKE_MUTAGEN_SESSIONS"]).read())
elif args[:2] == ["sync", "flush"]:  # like Mutagen: a flush runs one cycle per session
    path = os.environ["FAKE_MUTAGEN_SESSIONS"]
    sessions = json.load(open(path))
    for session in sessions:
        session["successfulCycles"] = session.get("successfulCycles", 0) + 1
    open(path + ".new", "w").write(json.dumps(sessions))
    os.replace(path + ".new", path)
'''


@pytest.fixture
def fake_mutagen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    binary = tmp_path / "bin" / "mutagen"
    binary.parent.mkdir()
    binary.write_text(FAKE.format(python=sys.executable))
    binary.chmod(0o755)
    monkeypatch.setenv("FAKE_MUTAGEN_LOG", str(tmp_path / "calls.jsonl"))
    sessions = tmp_path / "sessions.json"
    sessions.write_text((DATA / "watching.json").read_text())
    monkeypatch.setenv("FAKE_MUTAGEN_SESSIONS", str(sessions))
    return binary


def _calls(tmp_path: Path) -> list[list[str]]:
    lines = (tmp_path / "calls.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _engine(tmp_path: Path, binary: Path, supervisor: Supervisor, sshd: SshServer) -> MutagenEngine:
    project_dir = tmp_path / "app"
    project_dir.mkdir()
    (project_dir / ".devtray.toml").write_text(
        'pull = ["results"]\nignore = ["*.pyc"]\n[sync]\nengine = "mutagen"\n'
    )
    return MutagenEngine(
        load_project(project_dir),
        target_for(sshd, tmp_path / "vm" / "app"),
        mutagen=binary,
        data_dir=tmp_path / "mutagen-data",
        supervisor=supervisor,
        poll_interval=0.1,
    )


def test_sessions_are_created_watched_and_torn_down(
    tmp_path: Path, fake_mutagen: Path, sshd: SshServer
) -> None:
    supervisor = Supervisor(tmp_path / "children")
    engine = _engine(tmp_path, fake_mutagen, supervisor, sshd)
    try:
        engine.start()
        assert engine.refresh().phase is SyncPhase.WATCHING
        (tmp_path / "sessions.json").write_text((DATA / "staging.json").read_text())
        assert engine.flush(timeout=10).phase is SyncPhase.SYNCING
        engine.pause()
        engine.resume()
        daemon_pid = supervisor.statuses()[0].pid
        assert daemon_pid is not None
    finally:
        engine.stop()
        supervisor.stop_all()
    assert not psutil.pid_exists(daemon_pid) or psutil.Process(daemon_pid).status() == "zombie"

    calls = _calls(tmp_path)
    assert {call[0] for call in calls} == {str(tmp_path / "mutagen-data")}  # private data dir
    verbs = [call[1:3] for call in calls if call[1:3] != ["sync", "list"]]
    assert verbs[:4] == [["version"], ["daemon", "stop"], ["daemon", "run"], ["sync", "terminate"]]
    creates = [call[3:] for call in calls if call[1:3] == ["sync", "create"]]
    label = engine.label
    push, pull = creates
    assert push[-2:] == [str(tmp_path / "app"), f"127.0.0.1:{tmp_path / 'vm' / 'app'}"]
    assert push[push.index("--sync-mode") :][:2] == ["--sync-mode", "one-way-replica"]
    assert "--ignore-vcs" in push
    assert push[push.index("*.pyc") - 1 :][:2] == ["--ignore", "*.pyc"]
    assert push[push.index("/results") - 1 :][:2] == ["--ignore", "/results"]
    assert pull[-2:] == [
        f"127.0.0.1:{tmp_path / 'vm' / 'app' / 'results'}",
        str(tmp_path / "app" / "results"),
    ]
    assert "one-way-safe" in pull
    for verb in ("flush", "pause", "resume", "terminate"):
        assert ["sync", verb, "--label-selector", label] in [call[1:5] for call in calls]


def test_cycles_mutagen_ran_on_its_own_count_as_changes_flushes_do_not(
    tmp_path: Path, fake_mutagen: Path, sshd: SshServer
) -> None:
    supervisor = Supervisor(tmp_path / "children")
    engine = _engine(tmp_path, fake_mutagen, supervisor, sshd)
    sessions = tmp_path / "sessions.json"
    try:
        engine.start()
        assert engine.refresh().changes_synced == 0  # 14 cycles before we looked: a baseline
        recorded = json.loads(sessions.read_text())
        recorded[0]["successfulCycles"] = 17  # three watched changes synced
        sessions.write_text(json.dumps(recorded))
        assert engine.refresh().changes_synced == 3
        assert engine.flush(timeout=10).changes_synced == 3  # the cycle the flush ran
        assert json.loads(sessions.read_text())[0]["successfulCycles"] == 18
        assert engine.refresh().changes_synced == 3
    finally:
        engine.stop()
        supervisor.stop_all()


def test_an_old_mutagen_is_refused(
    tmp_path: Path, fake_mutagen: Path, monkeypatch: pytest.MonkeyPatch, sshd: SshServer
) -> None:
    monkeypatch.setenv("FAKE_MUTAGEN_VERSION", "0.11.8")
    supervisor = Supervisor(tmp_path / "children")
    try:
        with pytest.raises(BadConfig, match="too old"):
            _engine(tmp_path, fake_mutagen, supervisor, sshd).start()
    finally:
        supervisor.stop_all()


def test_engine_choice(tmp_path: Path) -> None:
    def finder(*present: str):  # type: ignore[no-untyped-def]
        return lambda tool: Path(f"/bin/{tool.name}") if tool.name in present else None

    def kind(toml: str, *present: str) -> str:
        (tmp_path / ".devtray.toml").write_text(toml)
        return engine_kind(load_project(tmp_path), finder(*present))

    assert kind("", "rsync", "mutagen") == "builtin"
    assert kind("", "mutagen") == "agent"  # Mutagen only when asked for, or for two-way
    assert kind('[sync]\nengine = "mutagen"\n', "rsync", "mutagen") == "mutagen"
    assert kind('[sync]\nmode = "two-way-resolved"\n', "rsync", "mutagen") == "mutagen"
    # No rsync (Windows, usually): the agent engine needs only ssh and git on the laptop.
    assert kind("") == "agent"
    assert kind('[sync]\nengine = "agent"\n', "rsync") == "agent"
    with pytest.raises(BadConfig, match="Mutagen was not found"):
        kind('[sync]\nengine = "mutagen"\n', "rsync")
    with pytest.raises(BadConfig, match="agent sync engine only syncs one way"):
        kind('[sync]\nengine = "agent"\nmode = "two-way-resolved"\n')
    with pytest.raises(BadConfig, match="only syncs one way"):
        kind('[sync]\nengine = "builtin"\nmode = "two-way-resolved"\n', "rsync")
    with pytest.raises(BadConfig, match="rsync was not found"):
        kind('[sync]\nengine = "builtin"\n', "mutagen")


def test_the_mutagen_engine_checks_the_folder_before_any_session(
    vm_user: VmUser, vm_sshd: SshServer, tmp_path: Path, fake_mutagen: Path
) -> None:
    local = tmp_path / "app"
    local.mkdir()
    supervisor = Supervisor(tmp_path / "children")
    engine = MutagenEngine(
        load_project(local),
        SshTarget("127.0.0.1", "~/src", ("ssh", *vm_sshd.ssh_args())),
        mutagen=fake_mutagen,
        data_dir=tmp_path / "mutagen-data",
        supervisor=supervisor,
    )
    try:
        with pytest.raises(BadConfig, match="holds 2 entries"):
            engine.start()
    finally:
        engine.stop()
        supervisor.stop_all()
    calls = (tmp_path / "calls.jsonl").read_text()
    assert '"create"' not in calls and '"run"' not in calls  # no daemon, no session


def test_bringing_results_home_flushes_the_pull_session_before_the_rest(
    tmp_path: Path, fake_mutagen: Path, sshd: SshServer
) -> None:
    supervisor = Supervisor(tmp_path / "children")
    engine = _engine(tmp_path, fake_mutagen, supervisor, sshd)
    try:
        engine.start()
        assert engine.bring_results_home(timeout=10).phase is SyncPhase.WATCHING
    finally:
        engine.stop()
        supervisor.stop_all()
    calls = _calls(tmp_path)
    pull = next(c[3:] for c in calls if c[1:3] == ["sync", "create"] and "one-way-safe" in c)
    pull_name = pull[pull.index("--name") + 1]
    flushes = [call[3:] for call in calls if call[1:3] == ["sync", "flush"]]
    # The results only the VM holds first, then every session (the push among them).
    assert [flush[:2] for flush in flushes] == [[pull_name], ["--label-selector", engine.label]]
