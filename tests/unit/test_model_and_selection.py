"""Snapshots are immutable; picking a VM by name or id is forgiving but never guesses."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from desktop.cli.output import duration, printable, table, uptime
from desktop.core.errors import NotFound, UsageError
from desktop.core.model import Addresses, ResizePlan, VmSize, VmSnapshot, VmState
from desktop.core.selection import choose_vm


def vm(name: str, vm_id: str, **kwargs: object) -> VmSnapshot:
    return VmSnapshot(
        provider="aws",
        id=vm_id,
        name=name,
        region="eu-west-1",
        state=VmState.RUNNING,
        size="t3.micro",
        **kwargs,  # type: ignore[arg-type]
    )


def test_snapshot_is_frozen_including_tags() -> None:
    tags = {"Owner": "alice"}
    snapshot = vm("web", "i-1", tags=tags)
    tags["Owner"] = "mallory"
    assert snapshot.tags["Owner"] == "alice"
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.state = VmState.STOPPED  # type: ignore[misc]
    with pytest.raises(TypeError):
        snapshot.tags["Owner"] = "x"  # type: ignore[index]


def test_transition_states() -> None:
    assert {s for s in VmState if s.is_transition} == {
        VmState.STARTING,
        VmState.STOPPING,
        VmState.RESIZING,
    }


def test_best_address_prefers_public_dns() -> None:
    assert Addresses(public_ip="1.2.3.4", private_ip="10.0.0.1").best() == "1.2.3.4"
    assert Addresses(private_ip="10.0.0.1").best() == "10.0.0.1"
    assert Addresses().best() is None


def test_choose_by_name_id_or_only_one() -> None:
    web, db = vm("web", "i-1"), vm("db", "i-2")
    assert choose_vm([web], None) is web
    assert choose_vm([web, db], "DB") is db
    assert choose_vm([web, db], "i-1") is web


def test_ambiguous_and_unknown_names_list_the_choices() -> None:
    one, two = vm("web", "i-1"), vm("web", "i-2")
    with pytest.raises(UsageError, match="i-1, i-2"):
        choose_vm([one, two], "web")
    with pytest.raises(UsageError, match=r"web \(i-1\), web \(i-2\)"):
        choose_vm([one, two], None)
    with pytest.raises(UsageError, match=r"web \(i-1\)"):
        choose_vm([one], "nope")
    with pytest.raises(NotFound, match="No VM of yours"):
        choose_vm([], None)


def test_resize_plan_summary_and_price_difference() -> None:
    plan = ResizePlan(
        vm=vm("web", "i-1"),
        target=VmSize("t3.large", 2, 8, "x86_64", hourly_price=0.0912),
        current=VmSize("t3.micro", 2, 1, "x86_64", hourly_price=0.0114),
        needs_stop=True,
        restart_after=True,
    )
    assert plan.price_difference == pytest.approx(0.0798)
    assert (
        plan.summary()
        == "web: t3.micro -> t3.large (stops the VM, then starts it again), +$0.0798/h"
    )
    unpriced = dataclasses.replace(plan, current=VmSize("t3.micro"))
    assert unpriced.price_difference is None


def test_table_duration_uptime_printable() -> None:
    assert table([["a", "bb"], ["ccc", "d"]], ["X", "Y"]) == "X    Y\na    bb\nccc  d"
    assert [duration(s) for s in (5, 120, 3 * 3600 + 300, 3 * 86400)] == [
        "5s",
        "2m",
        "3h 05m",
        "3d 0h",
    ]
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert uptime(vm("w", "i", launched_at=now - timedelta(minutes=90)), now) == "1h 30m"
    assert printable("evil\x1b[31mname\n") == "evil?[31mname?"
