"""Rendering for people: aligned tables, durations, progress, errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from desktop.core.errors import DevtrayError

# Re-exported: the CLI modules import these from here.
from desktop.core.humanize import duration as duration
from desktop.core.humanize import printable as printable
from desktop.core.humanize import uptime as uptime
from desktop.core.model import VmSnapshot
from desktop.core.shutdown import describe_auto_stop
from desktop.core.spend import SpendSummary
from desktop.remote.ssh_config import alias_for


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A compact left-aligned table, two spaces between columns."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [list(headers), *rows]
    ]
    return "\n".join(lines)


def auto_stop(vm: VmSnapshot, now: datetime | None = None) -> str:
    """`stops at 19:00 (in 2 h 10 min)` for a VM the cloud will stop on schedule, else `-`."""
    if vm.auto_stop is None:
        return "-"
    return describe_auto_stop(vm.auto_stop, now or datetime.now(UTC))


def vm_json(
    vm: VmSnapshot, ssh_alias: str | None = None, spend: SpendSummary | None = None
) -> dict[str, Any]:
    """The `status --json` object for one VM.

    `ssh_alias` is as in the devtray SSH config block; cost fields are null when unknown.
    """
    return {
        "provider": vm.provider,
        "id": vm.id,
        "name": vm.name,
        "region": vm.region,
        "zone": vm.zone,
        "state": str(vm.state),
        "size": vm.size,
        "architecture": vm.architecture,
        "launched_at": vm.launched_at.isoformat() if vm.launched_at else None,
        "public_ip": vm.addresses.public_ip,
        "public_dns": vm.addresses.public_dns,
        "private_ip": vm.addresses.private_ip,
        "ssh_user": vm.ssh_user,
        "ssh_port": vm.ssh_port,
        "auto_stop_at": vm.auto_stop.at.isoformat() if vm.auto_stop else None,
        "auto_stop_time_zone": vm.auto_stop.time_zone if vm.auto_stop else None,
        "tags": dict(vm.tags),
        "ssh_alias": ssh_alias or alias_for(vm.name, vm.id),
        **cost_json(spend),
    }


def cost_json(spend: SpendSummary | None) -> dict[str, Any]:
    """`hourly_cost`, `cost_today`, `cost_month`, `currency` and how they were arrived at.

    `cost_today`/`cost_month` are always estimates (`cost_basis`). The cloud's bill, when there
    is one, is in its own fields and never added into those: `cost_month_billed` (the month's
    first day through `billed_through`, a UTC date) and `cost_month_estimate_since` (devtray's
    estimate after that day), for the VMs `billed_vms` (`billed_scope` "owner": all the owner's
    VMs, not just this one). `billed_unavailable` says why there is no billed figure.
    """
    if spend is None:
        return dict.fromkeys(_COST_KEYS)
    billed = spend.billed
    costs = billed.costs if billed else None
    return {
        "hourly_cost": _rounded(spend.hourly_now, 6),
        "cost_today": _rounded(spend.today.amount, 4),
        "cost_month": _rounded(spend.month.amount, 4),
        "currency": spend.currency,
        "cost_basis": str(spend.basis),
        "cost_complete": spend.month.complete,
        "stopped_cost_per_day": _rounded(spend.stopped_daily, 4),
        "cost_month_billed": round(billed.billed, 4) if billed else None,
        "billed_through": costs.through.isoformat() if costs else None,
        "cost_month_estimate_since": round(billed.estimate_since.amount, 4) if billed else None,
        "billed_currency": costs.currency if costs else None,
        "billed_source": costs.source if costs else None,
        "billed_scope": str(costs.scope) if costs else None,
        "billed_vms": sorted(costs.vm_ids) if costs else None,
        "billed_unavailable": spend.billed_note,
    }


_COST_KEYS = (
    "hourly_cost",
    "cost_today",
    "cost_month",
    "currency",
    "cost_basis",
    "cost_complete",
    "stopped_cost_per_day",
    "cost_month_billed",
    "billed_through",
    "cost_month_estimate_since",
    "billed_currency",
    "billed_source",
    "billed_scope",
    "billed_vms",
    "billed_unavailable",
)


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def dump_json(value: object, out: TextIO) -> None:
    """Pretty JSON on `out`."""
    out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def render_error(error: DevtrayError, err: TextIO) -> None:
    """`error: message` and the hint, indented, on stderr."""
    err.write(f"error: {error.message}\n")
    if error.hint:
        err.write(f"  {error.hint}\n")


class Progress:
    """One status line: redrawn in place on a TTY, one line per change otherwise."""

    def __init__(self, err: TextIO, interactive: bool) -> None:
        self.err = err
        self.interactive = interactive
        self._last = ""

    def show(self, text: str) -> None:
        """Show the current progress text."""
        if self.interactive:
            self.err.write("\r\033[K" + text)
            self.err.flush()
        elif text.split(" (")[0] != self._last.split(" (")[0]:
            self.err.write(text + "\n")
        self._last = text

    def done(self) -> None:
        """End the progress line."""
        if self.interactive and self._last:
            self.err.write("\n")
        self._last = ""
