"""Connect: the SSH block kept in step with the VMs, one VM's tunnels, IDE launching.

`ConnectService` holds the state (the supervisor, the running tunnels); the tray's rows
(`presentation.rows`) only read it. `ConnectService.on_view` is called with each new tray view
and rewrites the SSH block (on a thread of its own) when an address changed, so
`ssh devbox.devtray` and the IDEs follow EC2's new IP after every start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from desktop.core.config import Config
from desktop.core.errors import DevtrayError, InvalidState
from desktop.core.forwards import wanted_forwards
from desktop.core.model import VmSnapshot
from desktop.core.project import Project
from desktop.remote import ide
from desktop.remote.docker_context import ContextChange, ensure_contexts
from desktop.remote.ssh_config import (
    ConfigChange,
    HostEntry,
    SshConfigWriter,
    ssm_from_tools,
    unique_aliases,
)
from desktop.remote.supervisor import Supervisor
from desktop.remote.tunnels import TunnelStatus, TunnelTraffic
from desktop.remote.vm_link import SshLink, TunnelSet, VmLink
from desktop.services.config import ConfigSource

log = logging.getLogger(__name__)

_AddressKey = tuple[tuple[str, str, str | None], ...]


class CloudView(Protocol):
    """What `on_view` reads of the tray's view (`presentation.glance.TrayView` is one): the
    services sit below the presentation, so they name only the fields they need."""

    @property
    def vms(self) -> Sequence[VmSnapshot]: ...

    @property
    def demo(self) -> bool: ...

    @property
    def loaded(self) -> bool: ...


class ConnectService:
    """The connect features for the tray: SSH block, one VM's tunnels, IDE launching."""

    def __init__(
        self,
        config: ConfigSource,
        supervisor: Supervisor,
        *,
        writer: SshConfigWriter | None = None,
        link: VmLink | None = None,
    ) -> None:
        self.config = config
        self.supervisor = supervisor
        self._writer = writer
        # How the day reaches its VMs: over SSH, unless the composition root says otherwise
        # (the demo's simulated VM).
        self.link: VmLink = link or SshLink(supervisor, self.ssh_config_path)
        self._lock = threading.Lock()
        self._last_addresses: _AddressKey | None = None
        self._tunnels: TunnelSet | None = None
        self._tunnel_vm: str | None = None
        self._docker_done: set[str] = set()
        self.refreshed = threading.Event()  # set after each SSH block refresh (tests wait on it)

    # -- SSH config --------------------------------------------------------------------------

    def writer(self, config: Config) -> SshConfigWriter:
        """The writer of the SSH block (tests pass their own; else ~/.ssh/config)."""
        return self._writer or SshConfigWriter(ssm=ssm_from_tools(config))

    def refresh_ssh_config(self, vms: Sequence[VmSnapshot]) -> ConfigChange:
        """Rewrite the SSH block for these snapshots (only if its content changes)."""
        with self._lock:
            config = self.config.current()
            return self.writer(config).refresh(vms, config)

    def entry_for(self, vm: VmSnapshot, vms: Sequence[VmSnapshot]) -> HostEntry:
        """The SSH block's entry for `vm` (the block refreshed first); an error when the VM has
        no address to connect to."""
        entry = self.refresh_ssh_config(vms).entry_for(vm.id)
        if entry is None:
            raise InvalidState(f"{vm.name} has no address yet.", hint="Start it first.")
        return entry

    def ssh_config_path(self) -> Path:
        """The file every ssh of the day passes with `-F` (the one holding the block)."""
        return self.writer(self.config.current()).path

    def on_view(self, view: CloudView) -> None:
        """Called with every new tray view: refresh the block when an address changed."""
        if view.demo or not view.loaded:
            return  # the demo's day writes its VM's block itself (its own, removed at Quit)
        key = tuple((vm.id, vm.name, vm.addresses.best()) for vm in view.vms)
        if key == self._last_addresses:
            return
        self._last_addresses = key
        threading.Thread(
            target=self._refresh_quietly, args=(view.vms,), name="ssh-config", daemon=True
        ).start()

    def _refresh_quietly(self, vms: Sequence[VmSnapshot]) -> None:
        try:
            change = self.refresh_ssh_config(vms)
            for warning in change.warnings:
                log.warning("SSH config: %s", warning)
            self._docker_contexts(change, unique_aliases(vms).values())
        except DevtrayError as exc:
            log.warning("SSH config not refreshed: %s", exc)
        except Exception:
            log.exception("SSH config refresh failed")
        finally:
            self.refreshed.set()

    def _docker_contexts(self, change: ConfigChange, aliases: Iterable[str]) -> None:
        """A Docker context per new alias, when docker is installed (the host never changes);
        devtray's contexts of VMs that are gone are removed."""
        new = [entry.alias for entry in change.entries if entry.alias not in self._docker_done]
        for alias, result, detail in ensure_contexts(new, all_aliases=aliases):
            if result is ContextChange.FAILED:
                log.warning("docker context %s: %s", alias, detail)
            elif result is ContextChange.REMOVED:
                self._docker_done.discard(alias)
            else:
                self._docker_done.add(alias)

    # -- project -----------------------------------------------------------------------------

    def project(self) -> Project | None:
        """The project of `[connect] project` as last read, if one is configured (no I/O)."""
        return self.config.project()

    def has_forwards(self, project: Project | None = None) -> bool:
        """True when some ports are configured for `project` (default: the configured one) or
        in the config (menu-time check, no I/O; errors count as ports)."""
        try:
            return bool(wanted_forwards(project or self.project(), self.config.current()))
        except DevtrayError:
            return True  # let Start report the problem

    # -- tunnels -----------------------------------------------------------------------------

    def start_tunnels(
        self, vm: VmSnapshot, vms: Sequence[VmSnapshot], project: Project | None = None
    ) -> TunnelSet:
        """Forward the ports of `project` (default: the configured one) and of the config to
        `vm`; other VMs' tunnels stop first (same local ports)."""
        config = self.config.current()
        forwards = wanted_forwards(project or self.project(), config)
        if not forwards:
            raise InvalidState(
                "No ports to forward.",
                hint='Add ports = ["8000"] to your project\'s .devtray.toml, or [tunnels] ports '
                "to devtray's config.",
            )
        entry = self.entry_for(vm, vms)
        self.stop_tunnels()
        tunnels = self.link.tunnels(entry.alias)
        tunnels.start(forwards)
        with self._lock:
            self._tunnels, self._tunnel_vm = tunnels, vm.id
        return tunnels

    def tunnels_vm(self) -> str | None:
        """The id of the VM the tunnels run to, if they run."""
        with self._lock:
            return self._tunnel_vm

    def stop_tunnels(self) -> None:
        """Stop the running tunnels (no ssh is left behind)."""
        with self._lock:
            tunnels, self._tunnels, self._tunnel_vm = self._tunnels, None, None
        if tunnels is not None:
            tunnels.stop()

    def tunnel_statuses(self, vm_id: str) -> list[TunnelStatus] | None:
        """The statuses of `vm_id`'s tunnels; None when they are not running."""
        with self._lock:
            tunnels = self._tunnels if self._tunnel_vm == vm_id else None
        return tunnels.statuses() if tunnels else None

    def tunnel_traffic(self, vm_id: str) -> TunnelTraffic | None:
        """What went through `vm_id`'s forwards since the previous call; None without tunnels."""
        with self._lock:
            tunnels = self._tunnels if self._tunnel_vm == vm_id else None
        return tunnels.traffic() if tunnels else None

    # -- IDEs --------------------------------------------------------------------------------

    def open_in(
        self,
        kind: ide.IdeKind,
        vm: VmSnapshot,
        vms: Sequence[VmSnapshot],
        project: Project | None = None,
    ) -> None:
        """Open `project` (default: the configured one, else the VM's home) in the IDE."""
        project = project or self.project()
        if kind is ide.IdeKind.PYCHARM and project is None:
            raise InvalidState(
                "PyCharm opens the local project, and no project is set.",
                hint='Set [connect] project = "~/src/app" in devtray\'s config.',
            )
        if project is None:
            project = Project(root=Path.home(), remote_path="~")
        entry = None
        if kind is not ide.IdeKind.PYCHARM:
            entry = self.refresh_ssh_config(vms).entry_for(vm.id)
        ide.launch(self.link.open_plan(kind, project, entry))

    def close(self) -> None:
        """At quit: stop every child."""
        self.stop_tunnels()
        self.supervisor.stop_all()
