"""My Azure DevTest Labs VMs: found by owner, started, stopped (deallocated), resized, claimed.

A VM's id is `LAB/VM` (lab names are unique in the config). The SDK is imported lazily.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from desktop.core import errors
from desktop.core.autostop import ShutdownEffect
from desktop.core.billed import BilledAnswer
from desktop.core.config import AzureConfig, AzureLab, Config, PollingConfig
from desktop.core.cost import PriceSheet
from desktop.core.lifecycle import Transition, needs_transition
from desktop.core.localtime import local_zone
from desktop.core.model import (
    AutoStop,
    ResizePlan,
    ResizeStep,
    VmSize,
    VmSnapshot,
    VmState,
)
from desktop.core.provider import CancelToken, ProgressCallback
from desktop.core.server_stop import ServerHold
from desktop.providers.azure.calls import AzureCalls
from desktop.providers.azure.client import RETRY_TOTAL, make_client, trusted_ca_bundle
from desktop.providers.azure.identity import (
    Me,
    endpoints_for,
    make_credential,
    sign_in_hint,
    token_claims,
)
from desktop.providers.azure.lab_costs import LabCosts
from desktop.providers.azure.lab_vm import (
    BILLED_WHILE_STOPPED,
    core_state,
    disk_sizes,
    policy_sizes,
    power_state,
    reach,
)
from desktop.providers.azure.operations import Operations
from desktop.providers.azure.pricing import (
    RETAIL_PRICES_URL,
    AzureRetailPrices,
    https_json,
    lab_disk_prices,
)
from desktop.providers.azure.schedule import auto_stop_from
from desktop.providers.azure.schedule_hold import HoldRecords, LabScheduleHold

log = logging.getLogger(__name__)

SIZE_POLICY = ("default", "AllowedVmSizesInLab")
# Schedules change rarely; while a VM is watched every few seconds, read its schedule seldom.
SCHEDULE_TTL = 300.0
_EXPAND = "properties($expand=computeVm,networkInterface)"

_TRANSITIONS: Mapping[str, VmState] = {"start": VmState.STARTING, "stop": VmState.STOPPING}


class DevTestLabsProvider:
    """The Provider for Azure DevTest Labs."""

    name = "azure"

    def __init__(
        self,
        azure: AzureConfig,
        credential: Any,
        client_for: Callable[[str], Any],
        calls: AzureCalls,
        *,
        polling: PollingConfig | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        prices: AzureRetailPrices | None = None,
    ) -> None:
        self.azure = azure
        self.prices = prices
        self.credential = credential
        self.endpoints = endpoints_for(azure)
        self.calls = calls
        self.polling = polling or PollingConfig()
        self.operations = Operations(calls, self.polling.fast_seconds)
        self._client_for = client_for
        self._clients: dict[str, Any] = {}
        self._clock = clock
        self._me: Me | None = None
        self._schedules: dict[str, tuple[float, Any]] = {}
        self._schedules_lock = threading.Lock()
        self.lab_costs = LabCosts(calls, self._client, clock)
        self.schedule_holds = LabScheduleHold(calls, self._client, HoldRecords(), local_zone)
        self.region = ", ".join(f"lab {lab.name}" for lab in azure.labs)

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        credential: Any | None = None,
        connection_verify: str | bool | None = None,
        retry_total: int = RETRY_TOTAL,
    ) -> DevTestLabsProvider:
        """Build the provider; nothing is contacted until the first call."""
        if config.azure is None:
            raise errors.BadConfig("No [azure] section in the config.")
        azure = config.azure
        credential = credential or make_credential(azure)
        endpoints = endpoints_for(azure)
        verify = connection_verify if connection_verify is not None else trusted_ca_bundle()

        def client_for(subscription: str) -> Any:
            return make_client(
                credential,
                subscription,
                endpoints,
                connection_verify=verify,
                polling_interval=config.polling.fast_seconds,
                retry_total=retry_total,
            )

        calls = AzureCalls(sign_in_hint(azure.tenant))
        prices = AzureRetailPrices(https_json(verify), url=azure.prices_url or RETAIL_PRICES_URL)
        return cls(azure, credential, client_for, calls, polling=config.polling, prices=prices)

    # -- who and where ------------------------------------------------------------------------

    def me(self) -> Me:
        """The signed-in person, from the claims of a Resource Manager token."""
        if self._me is None:
            token = self.calls.call(
                "find out who you are", self.credential.get_token, self.endpoints.scope
            )
            self._me = Me.from_claims(token_claims(token.token))
        return self._me

    def identity(self) -> str:
        """My user principal name (or object id) as the labs record VM owners."""
        return str(self.me())

    def _client(self, lab: AzureLab) -> Any:
        client = self._clients.get(lab.subscription)
        if client is None:
            client = self._clients[lab.subscription] = self._client_for(lab.subscription)
        return client

    def _lab(self, vm_id: str) -> tuple[AzureLab, str]:
        lab_name, _, vm_name = vm_id.partition("/")
        for lab in self.azure.labs:
            if lab.name.casefold() == lab_name.casefold() and vm_name:
                return lab, vm_name
        labs = ", ".join(lab.name for lab in self.azure.labs)
        raise errors.NotFound(
            f"{vm_id!r} is not a VM in your labs ({labs}).",
            hint="Azure VM ids are LAB/VM; `devtray status` lists yours.",
        )

    # -- listing ------------------------------------------------------------------------------

    def _lab_vms(self, lab: AzureLab) -> list[Any]:
        client = self._client(lab)
        return self.calls.call(
            f"list the VMs of lab {lab.name}",
            lambda: list(
                client.virtual_machines.list(lab.resource_group, lab.name, expand=_EXPAND)
            ),
        )

    def list_my_vms(self) -> list[VmSnapshot]:
        """The lab VMs whose owner is me, across every configured lab."""
        me = self.me()
        vms = [
            self._snapshot(lab, vm)
            for lab in self.azure.labs
            for vm in self._lab_vms(lab)
            if me.owns(vm.owner_object_id, vm.owner_user_principal_name)
        ]
        return sorted(vms, key=lambda vm: (vm.name.casefold(), vm.id))

    def list_claimable_vms(self) -> list[VmSnapshot]:
        """VMs in the labs' pools that anyone may claim (no owner yet, claim allowed)."""
        return [
            self._snapshot(lab, vm, with_schedule=False)
            for lab in self.azure.labs
            for vm in self._lab_vms(lab)
            if vm.allow_claim and not vm.owner_object_id and not vm.owner_user_principal_name
        ]

    def _get(self, vm_id: str) -> tuple[AzureLab, Any]:
        lab, vm_name = self._lab(vm_id)
        client = self._client(lab)
        vm = self.calls.call(
            f"look up {vm_name} in lab {lab.name}",
            client.virtual_machines.get,
            lab.resource_group,
            lab.name,
            vm_name,
            expand=_EXPAND,
        )
        if not self.me().owns(vm.owner_object_id, vm.owner_user_principal_name):
            raise errors.NotFound(
                f"{vm_name} in lab {lab.name} is not yours.",
                hint="`devtray claim` takes a VM from the lab's pool.",
            )
        return lab, vm

    def refresh(self, vm_id: str) -> VmSnapshot:
        """A fresh snapshot; while an operation runs, its transition state."""
        in_flight = self.operations.state_of(vm_id)
        lab, vm = self._get(vm_id)
        return self._snapshot(lab, vm, in_flight=in_flight)

    def _snapshot(
        self,
        lab: AzureLab,
        vm: Any,
        *,
        in_flight: VmState | None = None,
        with_schedule: bool = True,
    ) -> VmSnapshot:
        addresses, ssh_port = reach(vm)
        return VmSnapshot(
            provider=self.name,
            id=f"{lab.name}/{vm.name}",
            name=str(vm.name),
            region=str(vm.location or ""),
            state=in_flight or core_state(vm),
            size=str(vm.size or ""),
            addresses=addresses,
            tags=dict(vm.tags or {}),
            platform="windows" if str(vm.os_type or "").casefold() == "windows" else "linux",
            ssh_user=vm.user_name or None,
            ssh_port=ssh_port,
            observed_at=self._clock(),
            auto_stop=self._auto_stop(lab, vm) if with_schedule else None,
        )

    def _auto_stop(self, lab: AzureLab, vm: Any) -> AutoStop | None:
        """The next stop by the schedule that applies to the VM (its own, else the lab's)."""
        key = f"{lab.name}/{vm.name}"
        with self._schedules_lock:
            cached = self._schedules.get(key)
        if cached is None or time.monotonic() - cached[0] > SCHEDULE_TTL:
            try:
                applicable = self.calls.call(
                    f"read the shutdown schedule of {vm.name}",
                    self._client(lab).virtual_machines.list_applicable_schedules,
                    lab.resource_group,
                    lab.name,
                    vm.name,
                )
            except (errors.NotFound, errors.PermissionDenied) as exc:
                # The schedule only adds to the status; not being able to read it hides the VM
                # from nobody.
                log.warning("no shutdown schedule for %s: %s", vm.name, exc.message)
                return None
            cached = (time.monotonic(), applicable.lab_vms_shutdown)
            with self._schedules_lock:
                self._schedules[key] = cached
        return auto_stop_from(cached[1], self._clock())

    def hold_server_stop(self, vm_id: str, hold: ServerHold | None, now: datetime) -> str | None:
        """Move (or switch off) the VM's lab shutdown schedule for a snooze; None restores it."""
        lab, vm_name = self._lab(vm_id)
        if hold is not None:
            self._get(vm_id)  # only my VMs
        # The tray releases on every tick without a hold: only a change (a note, or a failure
        # part-way) drops the cached schedule, or it would be read from Azure on every refresh.
        changed = True
        try:
            note = self.schedule_holds.hold(lab, vm_name, vm_id, hold, now)
            changed = note is not None
            return note
        finally:
            if changed:
                with self._schedules_lock:  # the next refresh shows the schedule as it is now
                    self._schedules.pop(vm_id, None)

    def describe_server_hold(self, vm_id: str, now: datetime) -> str | None:
        """What devtray changed in the VM's lab schedule for the current hold."""
        return self.schedule_holds.describe(vm_id, now)

    # -- start / stop / claim -----------------------------------------------------------------

    def start_vm(self, vm_id: str) -> VmSnapshot:
        """Begin starting a stopped VM; the operation runs on while we return."""
        lab, vm = self._get(vm_id)
        snapshot = self._snapshot(lab, vm, with_schedule=False)
        if not needs_transition(snapshot, Transition.START):
            return self.refresh(vm_id)
        self._begin(lab, vm_id, vm.name, "start")
        return self.refresh(vm_id)

    def _begin(self, lab: AzureLab, vm_id: str, name: str, action: str) -> Any:
        """Send `start` or `stop` for a VM; the poller follows it from then on."""
        begin = getattr(self._client(lab).virtual_machines, f"begin_{action}")
        return self.operations.begin(
            vm_id,
            f"{action} {name}",
            _TRANSITIONS[action],
            lambda: begin(lab.resource_group, lab.name, name),
        )

    def stop_vm(self, vm_id: str) -> VmSnapshot:
        """Begin a platform stop, which deallocates (a stop from inside the OS keeps billing)."""
        lab, vm = self._get(vm_id)
        snapshot = self._snapshot(lab, vm, with_schedule=False)
        billed = power_state(vm) == BILLED_WHILE_STOPPED
        # A VM stopped from inside its OS still bills: a platform stop is always worth sending.
        if not billed and not needs_transition(snapshot, Transition.STOP):
            return self.refresh(vm_id)
        self._begin(lab, vm_id, vm.name, "stop")
        return self.refresh(vm_id)

    def in_os_shutdown_effect(self, vm_id: str) -> ShutdownEffect:
        """A shutdown inside an Azure VM leaves it allocated and billed: only a platform stop
        deallocates, so the idle agent is not for Azure (the lab's schedule is)."""
        self._get(vm_id)  # only my VMs
        return ShutdownEffect.KEEPS_BILLING

    def claim_vm(self, vm_id: str | None, pool: str | None, cancel: CancelToken) -> VmSnapshot:
        """Take a VM from a lab's pool: the one named, else any the lab `pool` offers."""
        before = {vm.id for vm in self.list_my_vms()}
        if vm_id is not None:
            lab, name = self._lab(vm_id)
            client = self._client(lab)
            operation = self.operations.begin(
                vm_id,
                f"claim {name}",
                VmState.UNKNOWN,
                lambda: client.virtual_machines.begin_claim(lab.resource_group, lab.name, name),
            )
        else:
            lab = self._lab_named(pool)
            vm_id = f"{lab.name}/*"
            client = self._client(lab)
            operation = self.operations.begin(
                vm_id,
                f"claim a VM from lab {lab.name}",
                VmState.UNKNOWN,
                lambda: client.labs.begin_claim_any_vm(lab.resource_group, lab.name),
            )
        self.operations.wait(vm_id, operation, cancel, lambda _elapsed: None)
        mine = self.list_my_vms()
        claimed = [vm for vm in mine if vm.id not in before and vm.id.startswith(f"{lab.name}/")]
        if not claimed:
            raise errors.NotFound(
                f"Azure finished the claim, but no new VM of yours is in lab {lab.name}.",
                hint="Someone may have claimed it first; `devtray claim` lists what is left.",
            )
        return claimed[0]

    def _lab_named(self, lab_name: str | None) -> AzureLab:
        labs = self.azure.labs
        if lab_name is None:
            if len(labs) == 1:
                return labs[0]
            raise errors.UsageError(
                f"You have {len(labs)} labs; name one with --lab: "
                + ", ".join(lab.name for lab in labs)
            )
        for lab in labs:
            if lab.name.casefold() == lab_name.casefold():
                return lab
        raise errors.NotFound(f"No lab called {lab_name!r} in your config.")

    # -- sizes and resize ---------------------------------------------------------------------

    def allowed_sizes(self, lab: AzureLab) -> list[str] | None:
        """The lab's `AllowedVmSizesInLab` policy, or None when the lab does not limit sizes."""
        client = self._client(lab)
        try:
            policy = self.calls.call(
                f"read the size policy of lab {lab.name}",
                client.policies.get,
                lab.resource_group,
                lab.name,
                *SIZE_POLICY,
            )
        except errors.NotFound:
            return None
        if str(policy.status or "").casefold() != "enabled":
            return None
        return policy_sizes(policy.threshold)

    def list_sizes(self, vm_id: str) -> list[VmSize]:
        """The sizes the lab's policy allows (just the current one when there is no policy)."""
        lab, vm = self._get(vm_id)
        allowed = self.allowed_sizes(lab) or [str(vm.size)]
        snapshot = self._snapshot(lab, vm, with_schedule=False)
        return [
            VmSize(name=size, hourly_price=self._hourly(snapshot.region, size, snapshot.platform))
            for size in sorted(allowed, key=str.casefold)
        ]

    def _hourly(self, region: str, size: str, platform: str) -> float | None:
        quote = self.prices.hourly(region, size, platform) if self.prices else None
        return quote.value if quote else None

    # -- cost ---------------------------------------------------------------------------------

    def price_sheet(self, vm: VmSnapshot) -> PriceSheet:
        """The VM's pay-as-you-go compute price, plus its managed disks, which bill whether it
        runs or not (deallocated, its compute costs nothing). The OS disk's size is its image's
        default, which the lab does not report. The public IP is not priced."""
        quote = self.prices.hourly(vm.region, vm.size, vm.platform) if self.prices else None
        if quote is None or self.prices is None:
            return PriceSheet(compute_hourly=None, provenance="no Azure price found")
        source = quote.describe(self._clock())
        try:
            _lab, lab_vm = self._get(vm.id)
        except errors.DevtrayError as exc:
            log.warning("could not read %s's disks to price them: %s", vm.id, exc)
            lab_vm = None
        disks = (
            lab_disk_prices(self.prices, vm.region, *disk_sizes(lab_vm, vm.platform))
            if lab_vm is not None
            else None
        )
        if disks is None:
            return PriceSheet(
                compute_hourly=quote.value,
                provenance=f"pay-as-you-go compute only (disks not priced), {source}",
            )
        return PriceSheet(
            compute_hourly=quote.value,
            # Disks bill per tier, not per GB: spread the tiers' monthly price over their GiB.
            disk_gb=disks.gib,
            disk_gb_month=disks.monthly / disks.gib,
            provenance=f"pay-as-you-go compute and {disks.describe}, {source}",
        )

    def billed_costs(self, vm: VmSnapshot) -> BilledAnswer:
        """The VM's month to date as the lab's cost report (DevTest Labs costs API) has it."""
        lab, vm_name = self._lab(vm.id)
        return self.lab_costs.billed(lab, vm_name, vm.id)

    def plan_resize(self, vm_id: str, size: str) -> ResizePlan:
        """Check the state and the lab's size policy before anything is touched."""
        lab, vm = self._get(vm_id)
        snapshot = self._snapshot(lab, vm, with_schedule=False)
        if snapshot.state not in (VmState.RUNNING, VmState.STOPPED):
            raise errors.InvalidState(
                f"{vm.name} is {snapshot.state}; it can be resized when running or stopped.",
                hint="Wait until the current change finishes, then try again.",
            )
        if size.casefold() == snapshot.size.casefold():
            raise errors.UsageError(f"{vm.name} already is {snapshot.size}.")
        allowed = self.allowed_sizes(lab)
        if allowed is not None:
            matching = [name for name in allowed if name.casefold() == size.casefold()]
            if not matching:
                raise errors.UsageError(
                    f"{size} is not allowed by lab {lab.name}'s size policy (AllowedVmSizesInLab).",
                    hint=f"Allowed: {', '.join(allowed)}. Nothing was changed.",
                )
            size = matching[0]
        running = snapshot.state is VmState.RUNNING
        return ResizePlan(
            vm=snapshot,
            target=VmSize(name=size),
            current=VmSize(name=snapshot.size),
            needs_stop=running,
            restart_after=running,
        )

    def resize_vm(
        self, plan: ResizePlan, progress: ProgressCallback, cancel: CancelToken
    ) -> VmSnapshot:
        """Stop (deallocate) if running, resize, start again if it was running."""
        vm = plan.vm
        lab, name = self._lab(vm.id)
        progress(ResizeStep.CHECKING, vm)
        if plan.needs_stop:
            self._follow(
                vm.id,
                self._begin(lab, vm.id, name, "stop"),
                cancel,
                lambda: progress(ResizeStep.STOPPING, replace(vm, state=VmState.STOPPING)),
            )
        if cancel.cancelled:
            raise errors.Cancelled(f"Resize cancelled; {name} is stopped, still {vm.size}.")
        self._resize(lab, vm, plan.target.name, cancel, progress)
        if plan.restart_after:
            self._start_with_fallback(lab, plan, progress, cancel)
        final = self.refresh(vm.id)
        progress(ResizeStep.DONE, final)
        return final

    def _resize(
        self,
        lab: AzureLab,
        vm: VmSnapshot,
        size: str,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> None:
        client = self._client(lab)
        operation = self.operations.begin(
            vm.id,
            f"resize {vm.name} to {size}",
            VmState.RESIZING,
            lambda: client.virtual_machines.begin_resize(
                lab.resource_group, lab.name, vm.name, size=size
            ),
        )
        resizing = replace(vm, state=VmState.RESIZING, size=size)
        self._follow(vm.id, operation, cancel, lambda: progress(ResizeStep.RESIZING, resizing))

    def _start_with_fallback(
        self, lab: AzureLab, plan: ResizePlan, progress: ProgressCallback, cancel: CancelToken
    ) -> None:
        vm = plan.vm
        starting = replace(vm, state=VmState.STARTING, size=plan.target.name)
        try:
            self._follow(
                vm.id,
                self._begin(lab, vm.id, vm.name, "start"),
                cancel,
                lambda: progress(ResizeStep.STARTING, starting),
            )
        except errors.InsufficientCapacity as exc:
            # Don't leave the developer with a stopped VM: go back to the size that ran.
            self._resize(lab, replace(vm, size=plan.target.name), vm.size, cancel, progress)
            self._follow(vm.id, self._begin(lab, vm.id, vm.name, "start"), cancel, lambda: None)
            raise errors.InsufficientCapacity(
                f"{exc.message} {vm.name} was started again as {vm.size}.",
                hint="Try the resize again later, or pick another size.",
            ) from exc

    def _follow(
        self, vm_id: str, operation: Any, cancel: CancelToken, tick: Callable[[], None]
    ) -> None:
        self.operations.wait(vm_id, operation, cancel, lambda _elapsed: tick())
