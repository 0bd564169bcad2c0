"""The pure menu model: rows in each state, disabled-with-reason actions, contribution slots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from desktop.core import errors
from desktop.core.model import ResizePlan, VmSize, VmSnapshot, VmState
from desktop.presentation.glance import (
    IconState,
    Operation,
    Problem,
    ProblemKind,
    RecentProblem,
    TrayView,
    describe_resize,
    icon_state,
    tooltip,
)
from desktop.presentation.menu import Action, MenuItem, MenuSlot, build_menu

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def vm(state: VmState, name: str = "devbox", vm_id: str = "i-1") -> VmSnapshot:
    launched = NOW - timedelta(hours=2, minutes=5) if state is VmState.RUNNING else None
    return VmSnapshot("aws", vm_id, name, "eu-west-1", state, "t3.large", launched_at=launched)


def rows(view: TrayView, contributions: Sequence[object] = ()) -> dict[str, MenuItem]:
    def walk(items: Sequence[MenuItem]) -> dict[str, MenuItem]:
        found: dict[str, MenuItem] = {}
        for item in items:
            found[item.key] = item
            found.update(walk(item.children))
        return found

    return walk(build_menu(view, contributions, now=NOW))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "start", "stop", "resize"),
    [
        (VmState.STOPPED, None, "already stopped", None),
        (VmState.RUNNING, "already running", None, None),
        (
            VmState.STARTING,
            "already starting",
            "wait until it is running",
            "wait until it is running or stopped",
        ),
        (
            VmState.STOPPING,
            "wait until it has stopped",
            "already stopping",
            "wait until it is running or stopped",
        ),
        (VmState.RESIZING, "resizing", "resizing", "wait until it is running or stopped"),
        (
            VmState.TERMINATED,
            "the VM is terminated",
            "the VM is terminated",
            "the VM is terminated",
        ),
    ],
)
def test_actions_are_disabled_with_the_reason_in_each_state(
    state: VmState, start: str | None, stop: str | None, resize: str | None
) -> None:
    menu = rows(TrayView(vms=(vm(state),), loaded=True))
    for key, reason in (("start:i-1", start), ("stop:i-1", stop), ("resize:i-1", resize)):
        item = menu[key]
        assert item.enabled is (reason is None), key
        assert (None if item.reason is None else str(item.reason)) == reason
    assert str(menu["start:i-1"].label) == ("Start" if start is None else f"Start — {start}")


def test_the_tray_s_own_operation_disables_actions_before_the_cloud_catches_up() -> None:
    view = TrayView(vms=(vm(VmState.STOPPED),), loaded=True).with_busy("i-1", Operation.STARTING)
    menu = rows(view)
    assert str(menu["start:i-1"].label) == "Start — already starting"
    assert str(menu["resize:i-1"].reason) == "busy starting"
    assert str(menu["state:i-1"].text) == "State: starting · t3.large"
    assert icon_state(view) is IconState.TRANSITION


def test_running_vm_shows_size_and_uptime() -> None:
    menu = rows(TrayView(vms=(vm(VmState.RUNNING),), loaded=True))
    assert str(menu["state:i-1"].text) == "State: running · t3.large · up 2h 05m"
    assert str(menu["name:i-1"].text) == "devbox"


def test_offline_disables_cloud_actions_and_shows_the_problem() -> None:
    problem = Problem.from_error(errors.Offline("The cloud cannot be reached."))
    view = TrayView(vms=(vm(VmState.STOPPED),), loaded=True, problem=problem)
    menu = rows(view)
    assert str(menu["start:i-1"].reason) == "offline"
    assert menu["problem"].action is Action.SHOW_PROBLEM
    assert icon_state(view) is IconState.OFFLINE  # a badge, not the error red


def test_expired_sign_in_asks_for_sign_in() -> None:
    problem = Problem.from_error(errors.AuthExpired("Sign-in needed.", hint="Sign in."))
    view = TrayView(problem=problem)
    assert problem.kind is ProblemKind.SIGN_IN
    assert str(rows(view)["sign-in"].text) == "Sign in… (needed)"
    assert icon_state(view) is IconState.SIGN_IN


def test_unexpected_errors_become_something_went_wrong() -> None:
    problem = Problem.from_error(KeyError("InstanceId"), details="Traceback ...")
    assert problem.title == "Something went wrong"
    assert "KeyError" in problem.message
    assert problem.details == "Traceback ..."


def test_several_vms_get_one_submenu_each() -> None:
    view = TrayView(
        vms=(vm(VmState.RUNNING, "api", "i-1"), vm(VmState.STOPPED, "gpu", "i-2")), loaded=True
    )
    top = build_menu(view, now=NOW)
    submenus = [item for item in top if item.is_submenu]
    assert [str(item.text) for item in submenus] == [
        "api — running, t3.large, up 2h 05m",
        "gpu — stopped, t3.large",
    ]
    assert {child.key for child in submenus[1].children} >= {"start:i-2", "stop:i-2"}
    assert icon_state(view) is IconState.RUNNING


def test_loading_and_no_vms_rows() -> None:
    assert "loading" in rows(TrayView())
    assert rows(TrayView(loaded=True))["no-vms"].enabled is False
    assert icon_state(TrayView(loaded=True)) is IconState.STOPPED


def test_demo_is_labelled_in_menu_and_tooltip() -> None:
    view = TrayView(vms=(vm(VmState.RUNNING),), loaded=True, demo=True)
    assert str(build_menu(view, now=NOW)[0].text) == "devtray (Demo)"
    assert [str(line) for line in tooltip(view, NOW)] == [
        "devtray (Demo)",
        "devbox — running, t3.large, up 2h 05m",
    ]


def test_untrusted_vm_names_are_made_printable() -> None:
    menu = rows(TrayView(vms=(vm(VmState.STOPPED, name="evil\nname\x1b[31m"),), loaded=True))
    assert str(menu["name:i-1"].text) == "evil?name?[31m"


def test_empty_slots_show_labelled_disabled_placeholders() -> None:
    menu = rows(TrayView(vms=(vm(VmState.RUNNING),), loaded=True))
    for key in ("cost:i-1:placeholder:0", "sync:i-1:placeholder:0", "tunnels:i-1:placeholder:0"):
        assert menu[key].enabled is False
        assert menu[key].reason
    open_in = [menu["open-in:i-1:placeholder:0"], menu["open-in:i-1:placeholder:1"]]
    assert [str(item.label) for item in open_in] == [
        "Open in VS Code — not available yet",
        "Open in PyCharm — not available yet",
    ]


class CostLine:
    """A contribution as issue 7 would write it."""

    slot = MenuSlot.COST

    def __init__(self) -> None:
        self.clicked: list[str] = []

    def items(self, vm: VmSnapshot, view: TrayView) -> Sequence[MenuItem]:
        return (
            MenuItem(
                text=f"Cost: {vm.size} today $1.23",
                key=f"cost:{vm.id}",
                run=lambda: self.clicked.append(vm.id),
            ),
        )


def test_a_contribution_replaces_its_placeholder_in_place() -> None:
    view = TrayView(vms=(vm(VmState.RUNNING),), loaded=True)
    items = build_menu(view, (CostLine(),), now=NOW)
    keys = [item.key for item in items]
    assert "cost:i-1:placeholder:0" not in keys
    assert keys.index("cost:i-1") == keys.index("state:i-1") + 1
    assert "sync:i-1:placeholder:0" in keys
    item = items[keys.index("cost:i-1")]
    assert item.run is not None and item.enabled


def test_resize_description_says_what_happens_and_how_long() -> None:
    current = VmSize("t3.large", 2, 8, "x86_64", 0.0832)
    target = VmSize("t3.xlarge", 4, 16, "x86_64", 0.1664)
    running = ResizePlan(vm(VmState.RUNNING), target, current, needs_stop=True, restart_after=True)
    assert str(describe_resize(running)) == (
        "Stops the VM, changes it to t3.xlarge and starts it again (~2m)."
    )
    stopped = replace(running, needs_stop=False, restart_after=False, estimated_seconds=6)
    assert str(describe_resize(stopped)) == (
        "Changes the stopped VM to t3.xlarge (~6s); it stays stopped."
    )


def test_offline_with_vms_last_seen_keeps_their_rows_in_place() -> None:
    as_of = NOW - timedelta(minutes=3)
    online = TrayView(vms=(vm(VmState.RUNNING),), loaded=True, as_of=as_of)
    problem = Problem.from_error(errors.Offline("The cloud cannot be reached."))
    offline = replace(online, problem=problem, retry_at=NOW + timedelta(seconds=20))
    before = [i.key for i in build_menu(online, now=NOW)]
    after = [i.key for i in build_menu(offline, now=NOW)]
    assert after[: after.index("retry")] == before[: before.index("sign-in")]
    by_key = rows(offline)
    hhmm = as_of.astimezone().strftime("%H:%M")
    assert str(by_key["name:i-1"].text) == f"devbox · as of {hhmm} — offline, retrying in 20 s"
    assert not by_key["name:i-1"].enabled
    assert by_key["retry"].action is Action.RETRY
    assert "problem" not in by_key  # the name row says it; no row pushes the others down


def test_problems_submenu_lists_the_newest_first_each_opening_its_own() -> None:
    old = RecentProblem(1, Problem(ProblemKind.ERROR, "No capacity", "Try later."), NOW)
    new = RecentProblem(2, Problem(ProblemKind.OFFLINE, "Can't reach AWS", "Offline."), NOW)
    view = TrayView(vms=(vm(VmState.STOPPED),), loaded=True)
    items = rows_with_problems(view, (old, new))
    children = items["problems"].children
    hhmm = NOW.astimezone().strftime("%H:%M")
    assert [str(c.text) for c in children] == [f"Can't reach AWS ({hhmm})", f"No capacity ({hhmm})"]
    assert [(c.action, c.problem_id) for c in children] == [
        (Action.SHOW_PROBLEM, 2),
        (Action.SHOW_PROBLEM, 1),
    ]
    assert "problems" not in rows(view)


def rows_with_problems(view: TrayView, problems: Sequence[RecentProblem]) -> dict[str, MenuItem]:
    return {item.key: item for item in build_menu(view, now=NOW, problems=problems)}
