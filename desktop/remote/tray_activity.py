"""The laptop's side of the idle rule: sync and tunnel activity per VM, read without the VM.

The tray asks once a tick; each answer covers the time since the previous one. Sync activity
is the growth of the running engine's `changes_synced` (edits pushed, results pulled; a run
that found nothing adds nothing). Tunnel activity is `Tunnels.traffic()`.
"""

from __future__ import annotations

import threading
from typing import Protocol

from desktop.core.autostop import ActivitySample
from desktop.core.model import VmSnapshot
from desktop.core.sync_state import SyncStatus
from desktop.remote.tunnels import TunnelTraffic


class SyncStatuses(Protocol):
    """Where the sync to a VM reports (the tray's `SyncService`)."""

    def status(self, vm_id: str) -> SyncStatus | None:
        """The status of the sync to `vm_id`; None when it is not syncing."""
        ...


class TunnelTrafficSource(Protocol):
    """Where a VM's tunnels report their traffic (the tray's `ConnectService`)."""

    def tunnel_traffic(self, vm_id: str) -> TunnelTraffic | None:
        """Traffic through `vm_id`'s forwards since the previous call; None without tunnels."""
        ...


def counter_growth(previous: int, current: int) -> int:
    """How much a counter that only grows grew; a smaller value means it restarted from 0."""
    return current - previous if current >= previous else current


class LaptopActivity:
    """Reads the tray's sync and tunnels for one VM: what happened since the last call."""

    def __init__(self, sync: SyncStatuses, tunnels: TunnelTrafficSource) -> None:
        self.sync = sync
        self.tunnels = tunnels
        self._lock = threading.Lock()
        self._synced: dict[str, int] = {}  # vm id -> changes_synced at the previous call

    def __call__(self, vm: VmSnapshot) -> ActivitySample:
        """Sync changes and tunnel traffic for `vm` since the previous call."""
        changes = 0
        with self._lock:
            status = self.sync.status(vm.id)
            if status is None:
                self._synced.pop(vm.id, None)  # the next engine starts counting from 0
            else:
                changes = counter_growth(self._synced.get(vm.id, 0), status.changes_synced)
                self._synced[vm.id] = status.changes_synced
        traffic = self.tunnels.tunnel_traffic(vm.id)
        return ActivitySample(
            sync_changes=changes,
            tunnel_bytes=traffic.bytes if traffic else None,
            tunnel_connections=traffic.new_connections if traffic else 0,
        )
