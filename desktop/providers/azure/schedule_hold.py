"""Snoozing a DevTest Labs shutdown schedule: move the VM's own `LabVmsShutdown`, then put it back.

A lab stops its VMs by a `LabVmsShutdown` schedule, the VM's own or else the lab-wide one. For a
snooze until T whose time falls after the schedule's next stop, the VM's schedule is moved to T;
for "keep running tonight" it is switched off. The lab-wide schedule is shared with everyone in
the lab, so it is never touched: when it is the one that applies, a VM-level copy is created
instead, and deleted again afterwards.

The change goes through `VirtualMachineSchedules_CreateOrUpdate` (PUT of the whole schedule):
`VirtualMachineSchedules_Update` (PATCH) only changes tags and ignores every other property.

What was there before is written to a file in devtray's data dir *before* the schedule is
changed, so the original comes back even if devtray is restarted or another devtray process
(the CLI, the tray) ends the hold. Before putting it back, the schedule is compared with what
devtray set: if someone changed it in the portal meanwhile, theirs is left alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from desktop.core import errors
from desktop.core.config import AzureLab
from desktop.core.files import read_json_object, write_json_object
from desktop.core.server_stop import ServerHold
from desktop.core.spend_record import data_dir
from desktop.providers.azure.calls import AzureCalls
from desktop.providers.azure.schedule import auto_stop_from

log = logging.getLogger(__name__)

SHUTDOWN = "LabVmsShutdown"
HOLDS_FILE = "azure-schedule-holds.json"


@dataclass(frozen=True)
class HeldSchedule:
    """A schedule devtray changed: what to put back, and what devtray put there (REST bodies)."""

    original: dict[str, Any] | None  # the VM's own schedule; None: there was none (lab's applied)
    base: dict[str, Any]  # the schedule that applied before devtray changed anything
    applied: dict[str, Any]  # the VM schedule devtray wrote
    until: datetime


class HoldRecords:
    """`azure-schedule-holds.json`: VM id -> the schedule devtray changed for a hold."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / HOLDS_FILE

    def load(self, vm_id: str) -> HeldSchedule | None:
        """The recorded change for one VM; None when there is none (or it is unreadable)."""
        entry = self._read().get(vm_id)
        if not isinstance(entry, dict):
            return None
        try:
            return HeldSchedule(
                original=entry["original"],
                base=entry["base"],
                applied=entry["applied"],
                until=datetime.fromisoformat(entry["until"]),
            )
        except (KeyError, TypeError, ValueError):
            log.warning("unreadable schedule hold for %s in %s", vm_id, self.path)
            return None

    def save(self, vm_id: str, held: HeldSchedule | None) -> None:
        """Record (or, with None, forget) one VM's change, atomically."""
        data = self._read()
        if held is None:
            data.pop(vm_id, None)
        else:
            data[vm_id] = {
                "original": held.original,
                "base": held.base,
                "applied": held.applied,
                "until": held.until.isoformat(),
            }
        write_json_object(self.path, data)

    def _read(self) -> dict[str, Any]:
        return read_json_object(self.path)


class LabScheduleHold:
    """Moves, switches off and restores one lab VM's shutdown schedule for devtray's holds."""

    def __init__(
        self,
        calls: AzureCalls,
        client_for: Callable[[AzureLab], Any],
        records: HoldRecords,
        zone: Callable[[], tzinfo],
    ) -> None:
        self.calls = calls
        self._client_for = client_for
        self.records = records
        self._zone = zone  # the laptop's zone, for the times people are told

    def hold(
        self, lab: AzureLab, vm: str, vm_id: str, hold: ServerHold | None, now: datetime
    ) -> str | None:
        """Make the VM's schedule respect `hold` (None: restore); what to tell the person."""
        held = self.records.load(vm_id)
        if hold is None:
            return self._restore(lab, vm, vm_id, held, now) if held is not None else None
        if held is not None:
            original, base = held.original, held.base
        else:
            own = self._vm_schedule(lab, vm)
            original = own.serialize() if own is not None else None
            applicable = own or self._applicable(lab, vm)
            if applicable is None or auto_stop_from(applicable, now) is None:
                return None  # no schedule stops this VM: nothing to hold off
            base = applicable.serialize()
        target = self._target(lab, vm, base, hold, now)
        if target is None:  # the lab's own stop comes after the hold anyway
            return self._restore(lab, vm, vm_id, held, now) if held is not None else None
        self.records.save(vm_id, HeldSchedule(original, base, target, hold.until))
        try:
            self._put(lab, vm, target)
        except errors.DevtrayError:
            self.records.save(vm_id, held)  # nothing changed in Azure: keep the old record
            raise
        return self._describe_hold(base, target, hold.until, now)

    def _target(
        self, lab: AzureLab, vm: str, base: dict[str, Any], hold: ServerHold, now: datetime
    ) -> dict[str, Any] | None:
        """The VM schedule for `hold`, or None when the base schedule already respects it."""
        from azure.mgmt.devtestlabs.models import Schedule

        stop = auto_stop_from(Schedule.deserialize(base), now)
        if stop is None or (not hold.all_night and stop.at >= hold.until):
            return None
        target: dict[str, Any] = json.loads(json.dumps(base))
        properties = target.setdefault("properties", {})
        properties["targetResourceId"] = vm_resource_id(lab, vm)
        if hold.all_night:
            properties["status"] = "Disabled"
            return target
        zone = stop.at.tzinfo
        # Round up to the minute: the lab must not stop the VM even seconds before the hold ends.
        until = (hold.until + timedelta(seconds=59)).astimezone(zone)
        until = until.replace(second=0, microsecond=0)
        recurrence = "dailyRecurrence" if properties.get("dailyRecurrence") else "weeklyRecurrence"
        properties.setdefault(recurrence, {})["time"] = f"{until:%H%M}"
        return target

    def _restore(
        self, lab: AzureLab, vm: str, vm_id: str, held: HeldSchedule, now: datetime
    ) -> str:
        """Put back what was there before devtray's change (unless someone changed it since)."""
        current = self._vm_schedule(lab, vm)
        if current is None or _setting(current.serialize()) != _setting(held.applied):
            self.records.save(vm_id, None)
            return (
                "The lab's shutdown schedule was changed outside devtray meanwhile; left as it is."
            )
        client = self._client_for(lab)
        if held.original is None:
            self.calls.call(
                f"remove devtray's shutdown schedule of {vm}",
                client.virtual_machine_schedules.delete,
                lab.resource_group,
                lab.name,
                vm,
                SHUTDOWN,
            )
        else:
            self._put(lab, vm, held.original)
        self.records.save(vm_id, None)
        stop = self._next_stop(held.base, now)
        return f"Lab schedule back to {stop:%H:%M}." if stop else "Lab schedule put back."

    def describe(self, vm_id: str, now: datetime) -> str | None:
        """What devtray changed in the VM's schedule for the current hold, from the record."""
        held = self.records.load(vm_id)
        if held is None:
            return None
        return self._describe_hold(held.base, held.applied, held.until, now)

    def _describe_hold(
        self, base: dict[str, Any], applied: dict[str, Any], until: datetime, now: datetime
    ) -> str:
        usual = self._next_stop(base, now)
        was = f" (usually {usual:%H:%M})" if usual else ""
        moved_to = self._next_stop(applied, now)
        if moved_to is None:  # switched off
            return f"Lab schedule off until {self._when(until, now)}{was}."
        return f"Lab schedule moved to {self._when(moved_to, now)}{was}."

    def _next_stop(self, schedule: dict[str, Any], now: datetime) -> datetime | None:
        from azure.mgmt.devtestlabs.models import Schedule

        stop = auto_stop_from(Schedule.deserialize(schedule), now)
        return stop.at.astimezone(self._zone()) if stop else None

    def _when(self, at: datetime, now: datetime) -> str:
        """`21:00 tonight`, `07:00 tomorrow`, `Wed 07:00`, in the laptop's time."""
        local, today = at.astimezone(self._zone()), now.astimezone(self._zone()).date()
        if local.date() == today:
            return f"{local:%H:%M} " + ("tonight" if local.hour >= 17 else "today")
        if local.date() == today + timedelta(days=1):
            return f"{local:%H:%M} tomorrow"
        return f"{local:%a %H:%M}"

    # -- Resource Manager ---------------------------------------------------------------------

    def _vm_schedule(self, lab: AzureLab, vm: str) -> Any | None:
        """The VM's own `LabVmsShutdown` schedule, or None when it has none."""
        try:
            return self.calls.call(
                f"read the shutdown schedule of {vm}",
                self._client_for(lab).virtual_machine_schedules.get,
                lab.resource_group,
                lab.name,
                vm,
                SHUTDOWN,
            )
        except errors.NotFound:
            return None

    def _applicable(self, lab: AzureLab, vm: str) -> Any | None:
        applicable = self.calls.call(
            f"read the shutdown schedule of {vm}",
            self._client_for(lab).virtual_machines.list_applicable_schedules,
            lab.resource_group,
            lab.name,
            vm,
        )
        return applicable.lab_vms_shutdown

    def _put(self, lab: AzureLab, vm: str, body: dict[str, Any]) -> None:
        from azure.mgmt.devtestlabs.models import Schedule

        self.calls.call(
            f"change the shutdown schedule of {vm}",
            self._client_for(lab).virtual_machine_schedules.create_or_update,
            lab.resource_group,
            lab.name,
            vm,
            SHUTDOWN,
            Schedule.deserialize(body),
        )


def vm_resource_id(lab: AzureLab, vm: str) -> str:
    """The lab VM's Resource Manager id (a VM schedule's `targetResourceId`)."""
    return (
        f"/subscriptions/{lab.subscription}/resourcegroups/{lab.resource_group}/providers/"
        f"microsoft.devtestlab/labs/{lab.name}/virtualmachines/{vm}"
    )


def _setting(schedule: dict[str, Any]) -> tuple[object, ...]:
    """The parts of a schedule that decide when it stops the VM."""
    properties = schedule.get("properties", {})
    return (
        str(properties.get("status", "")).casefold(),
        (properties.get("dailyRecurrence") or {}).get("time"),
        (properties.get("weeklyRecurrence") or {}).get("time"),
        properties.get("timeZoneId"),
    )
