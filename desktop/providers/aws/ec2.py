"""My EC2 instances: found by owner tag; started, stopped and resized safely."""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from desktop.core import errors
from desktop.core.autostop import ShutdownEffect
from desktop.core.billed import BilledAnswer, BilledUnavailable
from desktop.core.config import AwsConfig, Config, PollingConfig
from desktop.core.cost import PriceSheet
from desktop.core.lifecycle import Transition, ensure_resizable, needs_transition
from desktop.core.model import Addresses, ResizePlan, ResizeStep, VmSize, VmSnapshot, VmState
from desktop.core.polling import wait_for_state
from desktop.core.provider import CancelToken, ProgressCallback
from desktop.providers.aws.billing import CE_REGION, SOURCE, CostExplorerBills
from desktop.providers.aws.calls import AwsCalls, RetryPolicy
from desktop.providers.aws.pricing import PRICING_REGION, AwsPrices, spot_price
from desktop.providers.aws.session import (
    make_client,
    make_session,
    owner_from_arn,
    resolve_region,
    sign_in_hint,
)

# An hourly price for (region, instance type, platform), or None when unknown.
PriceLookup = Callable[[str, str, str], float | None]

_STATES: Mapping[str, VmState] = {
    "pending": VmState.STARTING,
    "running": VmState.RUNNING,
    "stopping": VmState.STOPPING,
    "stopped": VmState.STOPPED,
    "shutting-down": VmState.TERMINATED,
    "terminated": VmState.TERMINATED,
}
_DESCRIBE_TYPES_BATCH = 100
# EC2 dates a stop in StateTransitionReason: "User initiated (2024-05-10 20:45:10 GMT)".
_TRANSITION_TIME = re.compile(r"\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?:GMT|UTC)\)")


class Ec2Provider:
    """The Provider for Amazon EC2."""

    name = "aws"

    def __init__(
        self,
        ec2: Any,
        sts: Any,
        region: str,
        aws: AwsConfig,
        calls: AwsCalls,
        *,
        polling: PollingConfig | None = None,
        prices: PriceLookup | None = None,
        price_book: AwsPrices | None = None,
        bills: CostExplorerBills | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ec2 = ec2
        self.sts = sts
        self.region = region
        self.aws = aws
        self.calls = calls
        self.polling = polling or PollingConfig()
        self.prices = prices or (price_book.lookup if price_book else None)
        self.price_book = price_book
        self.bills = bills
        self._clock = clock
        self._owner: str | None = aws.owner
        self._my_vm_ids: frozenset[str] | None = None  # from the last listing

    @classmethod
    def from_config(cls, config: Config, *, prices: PriceLookup | None = None) -> Ec2Provider:
        """Build the provider from devtray's config and the AWS profile it names."""
        aws = config.aws or AwsConfig()
        calls = AwsCalls(sign_in_hint(aws.profile))
        session = make_session(aws, calls)
        region = resolve_region(aws, session, config_exists=config.exists)
        # The pricing client is made on first use: most commands never ask for a price.
        book = AwsPrices(lambda: make_client(session, "pricing", PRICING_REGION), calls)
        # Cost Explorer bills each request, retries included: one attempt, no back-off loop.
        once = AwsCalls(sign_in_hint(aws.profile), RetryPolicy(attempts=1))
        bills = CostExplorerBills(lambda: make_client(session, "ce", CE_REGION), once)
        return cls(
            make_client(session, "ec2", region),
            make_client(session, "sts", region),
            region,
            aws,
            calls,
            polling=config.polling,
            prices=prices,
            price_book=book,
            bills=bills if aws.cost_explorer else None,
        )

    # -- who and what -------------------------------------------------------------------------

    def identity(self) -> str:
        """The owner-tag value that marks my VMs: configured, else my caller name."""
        if self._owner is None:
            caller = self.calls.call("find out who you are", self.sts.get_caller_identity)
            self._owner = owner_from_arn(str(caller["Arn"]))
        return self._owner

    def list_my_vms(self) -> list[VmSnapshot]:
        """Instances tagged with my owner name (terminated ones left out)."""
        owner = self.identity()
        pages = self.calls.call(
            "list your instances",
            self._describe_all,
            Filters=[{"Name": f"tag:{self.aws.owner_tag}", "Values": [owner]}],
        )
        vms = [self._snapshot(instance) for instance in pages]
        vms = [vm for vm in vms if vm.state is not VmState.TERMINATED]
        self._my_vm_ids = frozenset(vm.id for vm in vms)
        return sorted(vms, key=lambda vm: (vm.name.casefold(), vm.id))

    def refresh(self, vm_id: str) -> VmSnapshot:
        """A fresh snapshot of one of my instances."""
        return self._snapshot(self._instance(vm_id))

    def _describe_all(self, **kwargs: Any) -> list[dict[str, Any]]:
        paginator = self.ec2.get_paginator("describe_instances")
        return [
            instance
            for page in paginator.paginate(**kwargs)
            for reservation in page.get("Reservations", [])
            for instance in reservation.get("Instances", [])
        ]

    def _instance(self, vm_id: str) -> dict[str, Any]:
        found = self.calls.call(
            f"look up instance {vm_id}", self._describe_all, InstanceIds=[vm_id]
        )
        owner = self.identity()
        mine = [i for i in found if _tags(i).get(self.aws.owner_tag) == owner]
        if not mine:
            raise errors.NotFound(
                f"Instance {vm_id} was not found among your VMs in {self.region}.",
                hint=f"Your VMs carry the tag {self.aws.owner_tag}={owner}.",
            )
        return mine[0]

    def _snapshot(self, instance: Mapping[str, Any]) -> VmSnapshot:
        tags = _tags(instance)
        launched = instance.get("LaunchTime")
        platform = str(instance.get("PlatformDetails") or instance.get("Platform") or "Linux/UNIX")
        return VmSnapshot(
            provider=self.name,
            id=str(instance["InstanceId"]),
            name=tags.get("Name") or str(instance["InstanceId"]),
            region=self.region,
            state=_STATES.get(str(instance.get("State", {}).get("Name")), VmState.UNKNOWN),
            size=str(instance.get("InstanceType", "")),
            addresses=Addresses(
                public_ip=instance.get("PublicIpAddress") or None,
                public_dns=instance.get("PublicDnsName") or None,
                private_ip=instance.get("PrivateIpAddress") or None,
                private_dns=instance.get("PrivateDnsName") or None,
            ),
            launched_at=launched if isinstance(launched, datetime) else None,
            tags=tags,
            zone=instance.get("Placement", {}).get("AvailabilityZone"),
            architecture=instance.get("Architecture"),
            platform="windows" if "windows" in platform.lower() else "linux",
            observed_at=self._clock(),
            state_since=_state_since(instance),
            spot=instance.get("InstanceLifecycle") == "spot",
        )

    def console_output(self, vm_id: str) -> str | None:
        """What one of my instances printed on its console (cloud-init's host key fingerprints)."""
        self._instance(vm_id)  # only my instances
        reply = self.calls.call(
            f"read the console output of {vm_id}", self.ec2.get_console_output, InstanceId=vm_id
        )
        return str(reply.get("Output") or "") or None

    # -- cost -------------------------------------------------------------------------------

    def price_sheet(self, vm: VmSnapshot) -> PriceSheet:
        """Prices and quantities behind the VM's running and stopped rates.

        Compute is the spot price for a spot VM, else on-demand; disks are the attached EBS
        volumes (each type's GB-month price); a public IPv4 address bills while running, and an
        Elastic IP keeps billing while stopped.
        """
        volumes = self.calls.call(
            "list the VM's disks",
            self.ec2.describe_volumes,
            Filters=[{"Name": "attachment.instance-id", "Values": [vm.id]}],
        ).get("Volumes", [])
        addresses = self.calls.call(
            "list the VM's elastic IPs",
            self.ec2.describe_addresses,
            Filters=[{"Name": "instance-id", "Values": [vm.id]}],
        ).get("Addresses", [])
        disk_gb = float(sum(int(v.get("Size", 0)) for v in volumes))
        gb_month = self._disk_price(volumes)
        book = self.price_book
        ipv4 = book.public_ipv4_hourly(self.region) if book else None
        elastic = len(addresses)
        running_ips = max(elastic, 1 if vm.addresses.public_ip else 0)
        compute, provenance = self._compute_price(vm)
        return PriceSheet(
            compute_hourly=compute,
            disk_gb=disk_gb,
            disk_gb_month=gb_month,
            public_ipv4_hourly=ipv4.value if ipv4 else None,
            public_ipv4_running=running_ips,
            public_ipv4_stopped=elastic,
            provenance=provenance,
        )

    def _compute_price(self, vm: VmSnapshot) -> tuple[float | None, str]:
        now = self._clock()
        if vm.spot and vm.zone:
            price = spot_price(self.ec2, self.calls, vm.zone, vm.size, now)
            return price, f"spot price in {vm.zone} now"
        if self.price_book is not None:
            quote = self.price_book.hourly(self.region, vm.size, vm.platform)
            if quote is None:
                return None, f"no price known for {vm.size} in {self.region}"
            return quote.value, f"on-demand, {quote.describe(now)}"
        if self.prices is not None:
            return self.prices(self.region, vm.size, vm.platform), "on-demand"
        return None, "prices not configured"

    def _disk_price(self, volumes: list[dict[str, Any]]) -> float | None:
        """The size-weighted $/GB-month over the attached volumes' types."""
        if self.price_book is None:
            return None
        total = sum(int(v.get("Size", 0)) for v in volumes)
        if not total:
            return 0.0
        cost = 0.0
        for volume in volumes:
            quote = self.price_book.storage_gb_month(self.region, str(volume.get("VolumeType")))
            if quote is None:
                return None
            cost += quote.value * int(volume.get("Size", 0))
        return cost / total

    def billed_costs(self, vm: VmSnapshot) -> BilledAnswer:
        """Cost Explorer's bill for everything tagged with my owner tag (all my VMs)."""
        if self.bills is None:
            return BilledUnavailable(SOURCE, "turned off ([aws] cost_explorer = false)")
        if self._my_vm_ids is None:
            self.list_my_vms()
        vm_ids = (self._my_vm_ids or frozenset()) | {vm.id}
        return self.bills.for_owner(self.aws.owner_tag, self.identity(), vm_ids)

    def in_os_shutdown_effect(self, vm_id: str) -> ShutdownEffect:
        """What `shutdown` inside the VM does: EC2's instanceInitiatedShutdownBehavior.

        `stop` stops an EBS-backed instance (billing for compute ends); `terminate` deletes it.
        """
        self._instance(vm_id)  # only for VMs that are mine
        response = self.calls.call(
            "read the VM's shutdown behaviour",
            self.ec2.describe_instance_attribute,
            InstanceId=vm_id,
            Attribute="instanceInitiatedShutdownBehavior",
        )
        value = str(response.get("InstanceInitiatedShutdownBehavior", {}).get("Value", "stop"))
        return ShutdownEffect.TERMINATES if value == "terminate" else ShutdownEffect.STOPS

    # -- start / stop -------------------------------------------------------------------------

    def start_vm(self, vm_id: str) -> VmSnapshot:
        """Start a stopped instance."""
        vm = self.refresh(vm_id)
        if not needs_transition(vm, Transition.START):
            return vm
        self.calls.call(f"start {vm.name}", self.ec2.start_instances, InstanceIds=[vm_id])
        return self.refresh(vm_id)

    def stop_vm(self, vm_id: str) -> VmSnapshot:
        """Stop a running instance (its disks still bill while stopped)."""
        vm = self.refresh(vm_id)
        if not needs_transition(vm, Transition.STOP):
            return vm
        self.calls.call(f"stop {vm.name}", self.ec2.stop_instances, InstanceIds=[vm_id])
        return self.refresh(vm_id)

    # -- sizes and resize ---------------------------------------------------------------------

    def list_sizes(self, vm_id: str) -> list[VmSize]:
        """Sizes offered in the VM's zone for its CPU: the configured list, or its family."""
        vm = self.refresh(vm_id)
        # Exact names and family wildcards go through the same zone-offering match.
        patterns = list(self.aws.sizes) or [f"{vm.size.split('.', 1)[0]}.*"]
        offered = set(self._offered(vm, patterns))
        sizes = [
            size
            for size in self._describe_types(sorted(offered))
            if size.architecture is None or size.architecture == vm.architecture
        ]
        return sorted(sizes, key=lambda s: (s.vcpus or 0, s.memory_gib or 0, s.name))

    def _offered(self, vm: VmSnapshot, patterns: list[str]) -> list[str]:
        if not vm.zone:
            return list(patterns)
        offered: list[str] = self.calls.call(
            "list the sizes offered in your zone", self._offerings, zone=vm.zone, patterns=patterns
        )
        return offered

    def _offerings(self, zone: str, patterns: list[str]) -> list[str]:
        # Matched here rather than by an instance-type filter: not every endpoint
        # (moto, some partitions) honours wildcards in that filter.
        paginator = self.ec2.get_paginator("describe_instance_type_offerings")
        pages = paginator.paginate(
            LocationType="availability-zone", Filters=[{"Name": "location", "Values": [zone]}]
        )
        return [
            offering["InstanceType"]
            for page in pages
            for offering in page.get("InstanceTypeOfferings", [])
            if any(fnmatch.fnmatchcase(offering["InstanceType"], p) for p in patterns)
        ]

    def _describe_types(self, names: list[str]) -> list[VmSize]:
        sizes: list[VmSize] = []
        for start in range(0, len(names), _DESCRIBE_TYPES_BATCH):
            batch = names[start : start + _DESCRIBE_TYPES_BATCH]
            response = self.calls.call(
                "describe instance types", self.ec2.describe_instance_types, InstanceTypes=batch
            )
            sizes.extend(self._size(info) for info in response.get("InstanceTypes", []))
        return sizes

    def _size(self, info: Mapping[str, Any]) -> VmSize:
        architectures = info.get("ProcessorInfo", {}).get("SupportedArchitectures", [])
        memory_mib = info.get("MemoryInfo", {}).get("SizeInMiB")
        name = str(info["InstanceType"])
        price = self.prices(self.region, name, "linux") if self.prices else None
        return VmSize(
            name=name,
            vcpus=info.get("VCpuInfo", {}).get("DefaultVCpus"),
            memory_gib=round(memory_mib / 1024, 2) if memory_mib else None,
            architecture=_primary_architecture(architectures),
            hourly_price=price,
        )

    def plan_resize(self, vm_id: str, size: str) -> ResizePlan:
        """Check everything that can be checked before a running VM is stopped."""
        instance = self._instance(vm_id)
        vm = self._snapshot(instance)
        ensure_resizable(vm, size)
        if instance.get("RootDeviceType", "ebs") != "ebs":
            raise errors.InvalidState(
                f"{vm.name} boots from an instance-store volume and cannot change type.",
                hint="Only EBS-backed instances can be resized.",
            )
        if self.aws.sizes and size not in self.aws.sizes:
            raise errors.UsageError(
                f"{size} is not among the sizes allowed in your config.",
                hint=f"Allowed: {', '.join(self.aws.sizes)}.",
            )
        info = self._type_info(size, vm)
        target = self._size(info)
        architecture = vm.architecture or "x86_64"
        architectures = list(info.get("ProcessorInfo", {}).get("SupportedArchitectures", []))
        if architecture not in architectures:
            raise errors.UsageError(
                f"{size} runs {'/'.join(architectures)} but {vm.name} is {architecture}: "
                "its disk would not boot.",
                hint=f"Pick a {architecture} size; `devtray sizes {vm.name}` lists them.",
            )
        if vm.zone and size not in self._offered(vm, [size]):
            raise errors.InsufficientCapacity(
                f"{size} is not offered in {vm.zone}, where {vm.name} lives.",
                hint=f"`devtray sizes {vm.name}` lists the sizes offered there.",
            )
        current = self._describe_types([vm.size])
        running = vm.state is VmState.RUNNING
        return ResizePlan(
            vm=vm,
            target=target,
            current=current[0] if current else None,
            needs_stop=running,
            restart_after=running,
        )

    def _type_info(self, size: str, vm: VmSnapshot) -> Mapping[str, Any]:
        try:
            response = self.calls.call(
                "describe instance types", self.ec2.describe_instance_types, InstanceTypes=[size]
            )
            infos = response.get("InstanceTypes", [])
        except errors.NotFound:
            infos = []
        if not infos:
            choices = ", ".join(choice.name for choice in self.list_sizes(vm.id))
            raise errors.UsageError(
                f"{size} is not an EC2 instance type in {self.region}.",
                hint=f"Sizes {vm.name} can take: {choices or 'none offered in its zone'}.",
            )
        info: Mapping[str, Any] = infos[0]
        return info

    def resize_vm(
        self, plan: ResizePlan, progress: ProgressCallback, cancel: CancelToken
    ) -> VmSnapshot:
        """Stop (if running), change the type, start again if it was running."""
        vm_id = plan.vm.id
        progress(ResizeStep.CHECKING, plan.vm)
        if plan.needs_stop:
            self.stop_vm(vm_id)
            self._wait(
                vm_id, VmState.STOPPED, cancel, lambda snap: progress(ResizeStep.STOPPING, snap)
            )
        if cancel.cancelled:
            raise errors.Cancelled(
                f"Resize cancelled; {plan.vm.name} is stopped, still {plan.vm.size}."
            )
        progress(ResizeStep.RESIZING, None)
        self._set_type(vm_id, plan.target.name)
        if plan.restart_after:
            self._start_with_fallback(plan, progress, cancel)
        final = self.refresh(vm_id)
        progress(ResizeStep.DONE, final)
        return final

    def _set_type(self, vm_id: str, size: str) -> None:
        self.calls.call(
            f"change the type to {size}",
            self.ec2.modify_instance_attribute,
            InstanceId=vm_id,
            InstanceType={"Value": size},
        )

    def _start_with_fallback(
        self, plan: ResizePlan, progress: ProgressCallback, cancel: CancelToken
    ) -> None:
        vm_id = plan.vm.id
        try:
            self.start_vm(vm_id)
        except errors.InsufficientCapacity as exc:
            # Don't leave the developer with a stopped VM: go back to the size that ran.
            self._set_type(vm_id, plan.vm.size)
            self.start_vm(vm_id)
            raise errors.InsufficientCapacity(
                f"{exc.message} {plan.vm.name} was started again as {plan.vm.size}.",
                hint="Try the resize again later, or pick another size.",
            ) from exc
        self._wait(vm_id, VmState.RUNNING, cancel, lambda snap: progress(ResizeStep.STARTING, snap))

    def _wait(
        self,
        vm_id: str,
        target: VmState,
        cancel: CancelToken,
        report: Callable[[VmSnapshot], None],
    ) -> VmSnapshot:
        return wait_for_state(
            lambda: self.refresh(vm_id),
            {target},
            cancel=cancel,
            on_progress=lambda snap, _elapsed: report(snap),
            interval=self.polling.fast_seconds,
            clock=time.monotonic,
        )


def _tags(instance: Mapping[str, Any]) -> dict[str, str]:
    raw: Iterable[Mapping[str, Any]] = instance.get("Tags") or []
    return {str(tag.get("Key")): str(tag.get("Value", "")) for tag in raw}


def _state_since(instance: Mapping[str, Any]) -> datetime | None:
    """When the instance entered its current state, if EC2 says: LaunchTime is the last start."""
    state = str(instance.get("State", {}).get("Name"))
    launched = instance.get("LaunchTime")
    if state in ("running", "pending") and isinstance(launched, datetime):
        return launched
    if state in ("stopped", "stopping"):
        match = _TRANSITION_TIME.search(str(instance.get("StateTransitionReason") or ""))
        if match:
            return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
    return None


def _primary_architecture(architectures: list[str]) -> str | None:
    for preferred in ("x86_64", "arm64"):
        if preferred in architectures:
            return preferred
    return architectures[0] if architectures else None
