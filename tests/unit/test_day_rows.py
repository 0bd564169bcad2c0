"""The day's rows as data: which row comes first in each state, their order, what they say,
and the `[[projects]]` list they are built from (parsing, adding, the set-up form's checks)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop.core.config import ProjectEntry, add_project, load_config
from desktop.core.errors import BadConfig
from desktop.core.model import VmSnapshot, VmState
from desktop.core.project import Project
from desktop.presentation.day_rows import DayPanel, day_rows, day_tooltip
from desktop.presentation.glance import Problem, ProblemKind, TrayView
from desktop.presentation.menu import Action, MenuItem
from desktop.services.day import (
    DayEnded,
    DayPhase,
    DayProgress,
    DayReady,
    DayStep,
    StepFailure,
    StepState,
)
from desktop.services.projects import DaySetup, check_remote_folder, list_projects, save_day_setup

APP = Project(root=Path("/src/app"), vm="devbox", ide="vscode")


def devbox(state: VmState) -> VmSnapshot:
    return VmSnapshot("aws", "i-1", "devbox", "eu-west-1", state, "t3.large")


def view(state: VmState, **changes: object) -> TrayView:
    return replace(TrayView(vms=(devbox(state),), loaded=True), **changes)  # type: ignore[arg-type]


def starting(step: DayStep, elapsed: float = 14.0, detail: str = "") -> DayProgress:
    order = list(DayStep)
    steps = tuple(
        (s, StepState.DONE if order.index(s) < order.index(step) else StepState.PENDING)
        for s in order
    )
    steps = tuple((s, StepState.RUNNING if s is step else state) for s, state in steps)
    return DayProgress(
        DayPhase.STARTING, "app", "devbox", steps, step, elapsed=elapsed, detail=detail
    )


def top(panel: DayPanel, vm_state: VmState = VmState.STOPPED) -> dict[str, MenuItem]:
    return {item.key: item for item in day_rows(panel, view(vm_state)) if item.key}


def test_morning_start_my_day_is_the_first_row_and_open_offers_to_start_the_vm() -> None:
    rows = top(DayPanel(DayProgress(), (APP,)))
    assert list(rows) == ["day:status", "day:primary", "day:open", "day:end", "projects"]
    assert str(rows["day:status"].text) == "devbox · stopped"
    assert str(rows["day:primary"].text) == "▶ Start my day — app on devbox"
    assert rows["day:primary"].action is Action.START_DAY and rows["day:primary"].enabled
    assert str(rows["day:open"].text) == "Open in VS Code (starts devbox)"
    assert rows["day:open"].action is Action.START_AND_OPEN
    assert not rows["day:end"].enabled


def test_while_starting_the_row_says_the_step_and_time_and_cancels() -> None:
    rows = top(DayPanel(starting(DayStep.VM_STARTED), (APP,), APP))
    assert str(rows["day:status"].text) == "devbox · starting — 14 s"
    assert str(rows["day:primary"].text) == "■ Starting devbox… (step 2 of 7) · 14 s"
    assert rows["day:primary"].action is Action.CANCEL_DAY
    assert str(rows["day:steps"].text).startswith("✓ signed in   ▸ VM started   … SSH config")
    assert not rows["day:open"].enabled and not rows["day:end"].enabled
    syncing = starting(DayStep.SYNC, 75, "Syncing 3,214 files…")
    rows = top(DayPanel(syncing, (APP,), APP))
    assert str(rows["day:primary"].text) == "■ Syncing 3,214 files… (step 6 of 7) · 1:15"
    assert [str(line) for line in day_tooltip(DayPanel(syncing, (APP,), APP))] == [
        "Syncing 3,214 files… 1:15"
    ]


def test_ready_reads_ready_with_the_price_and_open_first() -> None:
    ready = DayReady(APP.root, "i-1", "devbox", "devbox.devtray", "/home/me/app")
    progress = DayProgress(DayPhase.READY, "app", "devbox", ready=ready)
    rows = top(DayPanel(progress, (APP,), APP, hourly="$0.19/h"), VmState.RUNNING)
    assert list(rows) == ["day:status", "day:primary", "day:end", "projects"]
    assert str(rows["day:status"].text) == "Ready · devbox · $0.19/h"
    assert str(rows["day:primary"].text) == "Open in VS Code"
    assert rows["day:primary"].action is Action.OPEN_PROJECT
    assert rows["day:end"].enabled and rows["day:end"].action is Action.END_DAY


def test_a_failure_names_the_step_and_offers_retry() -> None:
    failure = StepFailure(DayStep.SSH_READY, "Permission denied (publickey)")
    progress = DayProgress(DayPhase.FAILED, "app", "devbox", failure=failure)
    rows = top(DayPanel(progress, (APP,), APP))
    assert str(rows["day:primary"].text) == "↻ Retry: start my day — app on devbox"
    assert rows["day:primary"].action is Action.START_DAY
    assert str(rows["day:failure"].text) == "SSH failed: Permission denied (publickey)"


def test_after_end_my_day_the_header_says_what_the_day_cost() -> None:
    from datetime import timedelta

    ended = DayEnded("devbox", True, timedelta(hours=7, minutes=12), 1.37)
    rows = top(DayPanel(DayProgress(ended=ended), (APP,), APP))
    assert str(rows["day:status"].text) == "devbox · stopped · Today: 7 h 12 min, $1.37"


def test_rows_are_not_offered_when_they_cannot_run() -> None:
    offline = Problem(ProblemKind.OFFLINE, "Offline", "no network")
    rows = {
        i.key: i
        for i in day_rows(DayPanel(DayProgress(), (APP,)), view(VmState.STOPPED, problem=offline))
    }
    assert str(rows["day:primary"].reason) == "offline" and not rows["day:primary"].enabled
    other = replace(APP, vm="gpubox")
    rows = top(DayPanel(DayProgress(), (other,)))
    assert str(rows["day:primary"].reason) == "its VM gpubox is not among yours"
    # "Open (starts devbox)" is the same day: it waits with Start my day (before, it was
    # offered while the VM stopped or while offline, and failed).
    assert str(rows["day:open"].reason) == "its VM gpubox is not among yours"
    assert not rows["day:open"].enabled
    rows = {
        i.key: i
        for i in day_rows(DayPanel(DayProgress(), (APP,)), view(VmState.STOPPED, problem=offline))
    }
    assert str(rows["day:open"].reason) == "offline" and not rows["day:open"].enabled
    for state in (VmState.STOPPING, VmState.RESIZING):
        rows = top(DayPanel(DayProgress(), (APP,)), state)
        waiting = "wait until devbox is running or stopped"
        assert str(rows["day:primary"].reason) == waiting
        assert str(rows["day:open"].reason) == waiting and not rows["day:open"].enabled


def test_without_projects_the_first_row_sets_up_the_day_and_several_get_one_start_each() -> None:
    rows = top(DayPanel(DayProgress()))
    assert rows["day:setup"].action is Action.SET_UP_DAY
    api = Project(root=Path("/src/api"), vm="devbox", ide="pycharm")
    projects = top(DayPanel(DayProgress(), (APP, api)))["projects"]
    keys = [child.key for child in projects.children for child in (child, *child.children)]
    assert "project:/src/app:start" in keys and "project:/src/api:start" in keys
    assert str(projects.children[1].text) == "api (devbox, PyCharm)"
    assert projects.children[-1].action is Action.ADD_PROJECT


def test_projects_are_read_from_the_config_with_their_entries_over_the_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / ".devtray.toml").write_text('vm = "other"\nide = "pycharm"\nremote_path = "~/x"\n')
    config = tmp_path / "config.toml"
    config.write_text("# mine\n")
    add_project(config, ProjectEntry(str(folder), vm="devbox", ide="vscode"))
    add_project(config, ProjectEntry(str(folder)))  # already listed: nothing changes
    add_project(config, ProjectEntry(str(tmp_path / "gone")))
    assert config.read_text().startswith("# mine\n")
    found = list_projects(load_config(config))
    assert [(p.root, p.vm, p.ide, p.remote_path) for p in found.projects] == [
        (folder, "devbox", "vscode", "~/x")
    ]
    assert found.broken[0][0] == str(tmp_path / "gone")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[projects]]\nvm = "a"\n', "projects[1].folder is missing"),
        ('[[projects]]\nfolder = "a"\nide = "emacs"\n', "projects[1].ide must be one of"),
        ('[[projects]]\nfolder = "a"\n[[projects]]\nfolder = "a"\n', "listed twice"),
        ('[[projects]]\nfolder = "a"\nport = 1\n', "unknown key projects[1].port"),
        ('projects = "a"\n', "projects must be an array of tables"),
    ],
)
def test_a_broken_projects_list_names_the_key(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(BadConfig) as caught:
        load_config(path)
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("remote", "ok"),
    [
        ("~/src/app", True),
        ("/srv/app", True),
        ("~", False),
        ("~/", False),
        ("/", False),
        ("~/src/../..", False),
        ("src/app", False),
        ("", False),
    ],
)
def test_the_remote_folder_is_never_a_home_a_root_or_a_climb(remote: str, ok: bool) -> None:
    assert (check_remote_folder(remote) is None) is ok


def test_set_up_your_day_writes_the_project_file_only_when_agreed(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    setup = DaySetup(first, "devbox", "vscode", "~/first", write_project_file=False)
    save_day_setup(config, setup)
    assert not (first / ".devtray.toml").exists()
    save_day_setup(
        config, replace(setup, folder=second, remote_path="~/second", write_project_file=True)
    )
    assert (second / ".devtray.toml").read_text() == (
        'vm = "devbox"\nremote_path = "~/second"\nide = "vscode"\n'
    )
    projects = list_projects(load_config(config)).projects
    assert [(p.root.name, p.remote_path) for p in projects] == [
        ("first", "~/first"),
        ("second", "~/second"),
    ]
    with pytest.raises(BadConfig, match="whole home"):
        save_day_setup(config, replace(setup, remote_path="~"))
