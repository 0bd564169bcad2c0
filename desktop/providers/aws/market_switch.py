"""Move my EC2 VM between spot and on-demand, keeping its disk (EC2 cannot change the market
of an instance in place).

stop → image of the root volume → launch in the other market with the same type, subnet,
security groups, key pair, IAM profile and tags (a persistent spot request that stops on
interruption, or on-demand) → wait until SSH answers → retag so the new instance is my VM →
terminate the old one, only once the person confirms. On any failure before the retag, the
new instance is terminated and the old one started again; the old instance is never touched
until the new one answers. Each step is reported before it starts, and a cancel (Ctrl-C) is
honoured between steps, through the same rollback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from desktop.core import errors
from desktop.core.model import Market, VmSnapshot, VmState
from desktop.core.provider import CancelToken
from desktop.core.spot import (
    Confirm,
    SshAnswers,
    SwitchProgress,
    SwitchResult,
    SwitchStep,
)
from desktop.providers.aws.calls import AwsCalls

# Marks the instance a switch launched until it becomes "my VM" (and on the old one after).
REPLACES_TAG = "devtray:replaces"
REPLACED_BY_TAG = "devtray:replaced-by"
_IMAGE_WAIT_SECONDS = 3600.0
_STATE_WAIT_SECONDS = 900.0  # a large root volume's first snapshot can take a long time


class MarketSwitch:
    """One switch of one VM; `describe` and `snapshot` come from the EC2 provider."""

    def __init__(
        self,
        ec2: Any,
        calls: AwsCalls,
        *,
        owner_tag: str,
        instance: Callable[[str], Mapping[str, Any]],
        snapshot: Callable[[Mapping[str, Any]], VmSnapshot],
        poll_seconds: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ec2 = ec2
        self.calls = calls
        self.owner_tag = owner_tag
        self._instance = instance
        self._snapshot = snapshot
        self._poll = poll_seconds
        self._sleep = sleep

    def run(
        self,
        vm_id: str,
        target: Market,
        *,
        progress: SwitchProgress,
        answers: SshAnswers,
        confirm: Confirm,
        cancel: CancelToken,
    ) -> SwitchResult:
        """Carry the switch out; see the module docstring for the order and the rollback."""
        old = self._instance(vm_id)
        vm = self._snapshot(old)
        if vm.market is target:
            raise errors.InvalidState(f"{vm.name} is already {target}.")
        if old.get("RootDeviceType", "ebs") != "ebs":
            raise errors.InvalidState(
                f"{vm.name} boots from an instance-store volume: its disk cannot be kept.",
            )
        was_running = vm.state in (VmState.RUNNING, VmState.STARTING)
        image_id: str | None = None
        new_id: str | None = None
        try:
            if was_running:
                progress(SwitchStep.STOPPING, vm.name)
                self.calls.call(f"stop {vm.name}", self.ec2.stop_instances, InstanceIds=[vm_id])
                self._wait_state(vm_id, VmState.STOPPED, cancel)
            self._between_steps(cancel)
            progress(SwitchStep.IMAGING, vm.name)
            image_id = self._image(old, vm)
            self._between_steps(cancel)
            progress(SwitchStep.LAUNCHING, str(target))
            new_id = self._launch(old, image_id, target)
            new = self._wait_state(new_id, VmState.RUNNING, cancel)
            progress(SwitchStep.WAITING, new_id)
            if not answers(new):
                raise errors.Offline(
                    f"The new instance {new_id} did not answer over SSH.",
                    hint=f"{vm.name} was started again as it was; try the switch later.",
                )
            self._between_steps(cancel)
            progress(SwitchStep.RETAGGING, new_id)
            self._retag(vm, new_id)
        except BaseException:
            self._roll_back(vm, new_id, image_id, was_running, progress)
            raise
        new = self._snapshot(self._instance(new_id))
        terminated = confirm(vm, new)
        if terminated:
            progress(SwitchStep.TERMINATING, vm_id)
            self.calls.call(
                f"terminate the old instance {vm_id}",
                self.ec2.terminate_instances,
                InstanceIds=[vm_id],
            )
        else:
            progress(SwitchStep.KEEPING, vm_id)
        progress(SwitchStep.CLEANING, image_id)
        self._drop_image(image_id)
        progress(SwitchStep.DONE, new_id)
        return SwitchResult(old=vm, new=new, old_terminated=terminated)

    def _wait_state(self, instance_id: str, state: VmState, cancel: CancelToken) -> VmSnapshot:
        """Poll one instance (the new one is not "mine" yet: looked up by id) until `state`."""
        ends = time.monotonic() + _STATE_WAIT_SECONDS
        while True:
            reply = self.calls.call(
                f"look up instance {instance_id}",
                self.ec2.describe_instances,
                InstanceIds=[instance_id],
            )
            found = [i for r in reply.get("Reservations", []) for i in r.get("Instances", [])]
            snap = self._snapshot(found[0]) if found else None
            if snap is not None and snap.state is state:
                return snap
            if snap is not None and snap.state is VmState.TERMINATED:
                raise errors.InvalidState(f"Instance {instance_id} was terminated.")
            if time.monotonic() > ends:
                raise errors.Offline(f"Instance {instance_id} did not become {state} in time.")
            if cancel.wait(self._poll):
                raise errors.Cancelled("Switch cancelled.")

    @staticmethod
    def _between_steps(cancel: CancelToken) -> None:
        if cancel.cancelled:
            raise errors.Cancelled("Switch cancelled.")

    def _image(self, old: Mapping[str, Any], vm: VmSnapshot) -> str:
        reply = self.calls.call(
            "make an image of the VM's disk",
            self.ec2.create_image,
            InstanceId=vm.id,
            Name=f"devtray-switch-{vm.id}-{int(time.time())}",
            Description=f"devtray: {vm.name}'s disk, moving to the other market",
            NoReboot=True,  # it is stopped already
        )
        image_id = str(reply["ImageId"])
        ends = time.monotonic() + _IMAGE_WAIT_SECONDS
        while time.monotonic() < ends:
            images = self.calls.call(
                "check the image", self.ec2.describe_images, ImageIds=[image_id]
            ).get("Images", [])
            state = images[0].get("State") if images else None
            if state == "available":
                return image_id
            if state in ("failed", "invalid", "deregistered", "error"):
                raise errors.DevtrayError(f"AWS could not make the image of {vm.name}: {state}.")
            self._sleep(self._poll)
        raise errors.Offline(f"The image of {vm.name} was not ready within an hour.")

    def _launch(self, old: Mapping[str, Any], image_id: str, target: Market) -> str:
        tags = [
            {"Key": str(t["Key"]), "Value": str(t.get("Value", ""))}
            for t in old.get("Tags") or []
            if t.get("Key") != self.owner_tag and not str(t.get("Key", "")).startswith("aws:")
        ]
        tags.append({"Key": REPLACES_TAG, "Value": str(old["InstanceId"])})
        kwargs: dict[str, Any] = {
            "ImageId": image_id,
            "MinCount": 1,
            "MaxCount": 1,
            "InstanceType": old["InstanceType"],
            "TagSpecifications": [{"ResourceType": "instance", "Tags": tags}],
        }
        if old.get("SubnetId"):
            kwargs["SubnetId"] = old["SubnetId"]
        groups = [g["GroupId"] for g in old.get("SecurityGroups") or [] if g.get("GroupId")]
        if groups:
            kwargs["SecurityGroupIds"] = groups
        if old.get("KeyName"):
            kwargs["KeyName"] = old["KeyName"]
        profile = (old.get("IamInstanceProfile") or {}).get("Arn")
        if profile:
            kwargs["IamInstanceProfile"] = {"Arn": profile}
        if target is Market.SPOT:
            kwargs["InstanceMarketOptions"] = {
                "MarketType": "spot",
                "SpotOptions": {
                    "SpotInstanceType": "persistent",
                    "InstanceInterruptionBehavior": "stop",
                },
            }
        reply = self.calls.call(f"launch the {target} instance", self.ec2.run_instances, **kwargs)
        return str(reply["Instances"][0]["InstanceId"])

    def _retag(self, vm: VmSnapshot, new_id: str) -> None:
        owner = vm.tags.get(self.owner_tag, "")
        self.calls.call(
            "make the new instance yours",
            self.ec2.create_tags,
            Resources=[new_id],
            Tags=[{"Key": self.owner_tag, "Value": owner}],
        )
        self.calls.call(
            "mark the old instance as replaced",
            self.ec2.create_tags,
            Resources=[vm.id],
            Tags=[{"Key": REPLACED_BY_TAG, "Value": new_id}],
        )
        self.calls.call(
            "take the old instance out of your VMs",
            self.ec2.delete_tags,
            Resources=[vm.id],
            Tags=[{"Key": self.owner_tag}],
        )
        self.calls.call(
            "clear the switch mark",
            self.ec2.delete_tags,
            Resources=[new_id],
            Tags=[{"Key": REPLACES_TAG}],
        )

    def _roll_back(
        self,
        vm: VmSnapshot,
        new_id: str | None,
        image_id: str | None,
        was_running: bool,
        progress: SwitchProgress,
    ) -> None:
        """Leave things as they were: the new instance gone, the old one as it was."""
        progress(SwitchStep.ROLLING_BACK, vm.name)
        if new_id is not None:
            self.calls.call(
                f"terminate the new instance {new_id}",
                self.ec2.terminate_instances,
                InstanceIds=[new_id],
            )
        if was_running:
            self.calls.call(f"start {vm.name}", self.ec2.start_instances, InstanceIds=[vm.id])
        if image_id is not None:
            self._drop_image(image_id)

    def _drop_image(self, image_id: str) -> None:
        """Deregister the switch's image and delete its snapshots (the new disk is a copy)."""
        images = self.calls.call(
            "look up the image", self.ec2.describe_images, ImageIds=[image_id]
        ).get("Images", [])
        snapshots = [
            str(m["Ebs"]["SnapshotId"])
            for image in images
            for m in image.get("BlockDeviceMappings") or []
            if m.get("Ebs", {}).get("SnapshotId")
        ]
        self.calls.call("remove the image", self.ec2.deregister_image, ImageId=image_id)
        for snapshot in snapshots:
            self.calls.call(
                "remove the image's snapshot", self.ec2.delete_snapshot, SnapshotId=snapshot
            )
