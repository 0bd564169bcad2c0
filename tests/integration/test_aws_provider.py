"""The EC2 provider against moto's server on 127.0.0.1: real HTTP, real boto3.

moto changes state instantly and would accept a type change on a running instance, so the
resize tests assert the order of the calls devtray makes, recorded from boto3's own events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from desktop.core import errors
from desktop.core.config import AwsConfig, Config, PollingConfig
from desktop.core.model import ResizeStep, VmState
from desktop.core.provider import CancelToken
from desktop.providers.aws.ec2 import Ec2Provider
from tests.moto_server import ARM_IMAGE, REGION, MotoEndpoint, ec2_client, run_instance

MUTATING = {"StartInstances", "StopInstances", "ModifyInstanceAttribute"}


def make_provider(**aws: Any) -> Ec2Provider:
    config = Config(
        aws=AwsConfig(region=REGION, **aws), polling=PollingConfig(fast_seconds=0.05), exists=True
    )
    return Ec2Provider.from_config(config)


class CallRecorder:
    """Records the name of every EC2 operation a client sends, in order."""

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        client.meta.events.register("before-call.ec2.*", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    @property
    def mutations(self) -> list[str]:
        return [c for c in self.calls if c in MUTATING]


class InjectedError:
    """Fake boundary: makes the next N calls of one operation fail with an AWS error code,
    for errors moto cannot produce (capacity). Uses the same before-call hook as Stubber."""

    def __init__(self, client: Any, operation: str, code: str, times: int = 1) -> None:
        self.remaining = times
        self.code = code
        client.meta.events.register(f"before-call.ec2.{operation}", self._maybe_fail)

    def _maybe_fail(self, **_: Any) -> Any:
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        from botocore.awsrequest import AWSResponse

        body = {"Error": {"Code": self.code, "Message": f"injected {self.code}"}}
        return AWSResponse("https://127.0.0.1", 500, {}, None), body


@pytest.fixture
def provider(moto: MotoEndpoint) -> Iterator[Ec2Provider]:
    yield make_provider()


def instance_type(vm_id: str) -> str:
    reservations = ec2_client().describe_instances(InstanceIds=[vm_id])["Reservations"]
    return str(reservations[0]["Instances"][0]["InstanceType"])


def test_discovers_only_my_instances_by_owner_tag(provider: Ec2Provider) -> None:
    mine = {run_instance("web"), run_instance("db", instance_type="t3.small")}
    run_instance("someone-elses", owner="bob")
    vms = provider.list_my_vms()
    assert {vm.id for vm in vms} == mine
    assert [vm.name for vm in vms] == ["db", "web"]
    web = next(vm for vm in vms if vm.name == "web")
    assert web.provider == "aws" and web.region == REGION and web.zone == "eu-west-1a"
    assert web.state is VmState.RUNNING and web.size == "t3.micro"
    assert web.architecture == "x86_64" and web.launched_at is not None
    assert web.tags["Owner"] == "moto"


def test_owner_and_tag_key_are_configurable(moto: MotoEndpoint) -> None:
    bobs = run_instance("bobs", owner="bob", extra_tags=[("Team", "alice")])
    run_instance("mine")
    assert [vm.id for vm in make_provider(owner="bob").list_my_vms()] == [bobs]
    assert [vm.id for vm in make_provider(owner="alice", owner_tag="Team").list_my_vms()] == [bobs]


def test_terminated_instances_are_left_out(provider: Ec2Provider) -> None:
    gone = run_instance("old")
    ec2_client().terminate_instances(InstanceIds=[gone])
    assert provider.list_my_vms() == []


def test_stop_then_start(provider: Ec2Provider) -> None:
    vm_id = run_instance("web")
    provider.stop_vm(vm_id)
    assert provider.refresh(vm_id).state is VmState.STOPPED
    provider.start_vm(vm_id)
    assert provider.refresh(vm_id).state is VmState.RUNNING


def test_start_is_idempotent_and_someone_elses_vm_is_not_found(provider: Ec2Provider) -> None:
    vm_id = run_instance("web")
    recorder = CallRecorder(provider.ec2)
    assert provider.start_vm(vm_id).state is VmState.RUNNING
    assert recorder.mutations == []
    other = run_instance("theirs", owner="bob")
    with pytest.raises(errors.NotFound, match=other):
        provider.stop_vm(other)


def test_resize_running_vm_stops_changes_and_starts_in_that_order(provider: Ec2Provider) -> None:
    vm_id = run_instance("web")
    recorder = CallRecorder(provider.ec2)
    steps: list[ResizeStep] = []
    plan = provider.plan_resize(vm_id, "t3.large")
    assert plan.needs_stop and plan.restart_after
    assert recorder.mutations == []  # planning touches nothing
    final = provider.resize_vm(plan, lambda step, _snap: steps.append(step), CancelToken())
    assert recorder.mutations == ["StopInstances", "ModifyInstanceAttribute", "StartInstances"]
    stop_at = recorder.calls.index("StopInstances")
    modify_at = recorder.calls.index("ModifyInstanceAttribute")
    # It waited (looked at the instance) between stopping and modifying.
    assert "DescribeInstances" in recorder.calls[stop_at:modify_at]
    assert final.state is VmState.RUNNING and final.size == "t3.large"
    assert instance_type(vm_id) == "t3.large"
    assert steps[0] is ResizeStep.CHECKING and steps[-1] is ResizeStep.DONE
    assert ResizeStep.STOPPING in steps and ResizeStep.STARTING in steps


def test_resize_stopped_vm_leaves_it_stopped(provider: Ec2Provider) -> None:
    vm_id = run_instance("web")
    provider.stop_vm(vm_id)
    recorder = CallRecorder(provider.ec2)
    plan = provider.plan_resize(vm_id, "t3.medium")
    assert not plan.needs_stop
    final = provider.resize_vm(plan, lambda *_: None, CancelToken())
    assert recorder.mutations == ["ModifyInstanceAttribute"]
    assert final.state is VmState.STOPPED and final.size == "t3.medium"


def test_unknown_type_is_refused_before_anything_changes(provider: Ec2Provider) -> None:
    vm_id = run_instance("web")
    recorder = CallRecorder(provider.ec2)
    with pytest.raises(errors.UsageError, match="t9.huge is not an EC2 instance type") as caught:
        provider.plan_resize(vm_id, "t9.huge")
    assert caught.value.hint and "t3.large" in caught.value.hint  # the choices are listed
    assert recorder.mutations == []


def test_other_architecture_is_refused_before_stopping(provider: Ec2Provider) -> None:
    vm_id = run_instance("web")
    recorder = CallRecorder(provider.ec2)
    with pytest.raises(errors.UsageError, match="t4g.large runs arm64 but web is x86_64"):
        provider.plan_resize(vm_id, "t4g.large")
    assert recorder.mutations == []
    assert provider.refresh(vm_id).state is VmState.RUNNING


def test_arm_vm_may_take_arm_sizes_only(provider: Ec2Provider) -> None:
    vm_id = run_instance("graviton", instance_type="t4g.micro", image=ARM_IMAGE)
    assert provider.plan_resize(vm_id, "t4g.large").target.architecture == "arm64"
    with pytest.raises(errors.UsageError, match="arm64"):
        provider.plan_resize(vm_id, "t3.large")


def test_same_size_and_disallowed_size(moto: MotoEndpoint) -> None:
    vm_id = run_instance("web")
    provider = make_provider(sizes=("t3.large",))
    with pytest.raises(errors.UsageError, match="already is t3.micro"):
        provider.plan_resize(vm_id, "t3.micro")
    with pytest.raises(errors.UsageError, match="not among the sizes allowed"):
        provider.plan_resize(vm_id, "t3.xlarge")
    assert [s.name for s in provider.list_sizes(vm_id)] == ["t3.large"]


def test_sizes_are_the_family_in_the_zone_with_the_same_architecture(
    provider: Ec2Provider,
) -> None:
    vm_id = run_instance("web")
    sizes = provider.list_sizes(vm_id)
    names = [s.name for s in sizes]
    assert {"t3.micro", "t3.large", "t3.2xlarge"} <= set(names)
    assert all(n.startswith("t3.") for n in names)
    assert all(s.architecture == "x86_64" for s in sizes)
    vcpus = [(s.vcpus or 0, s.memory_gib or 0) for s in sizes]
    assert vcpus == sorted(vcpus)


def test_capacity_failure_at_restart_puts_the_old_size_back(provider: Ec2Provider) -> None:
    vm_id = run_instance("web")
    recorder = CallRecorder(provider.ec2)
    InjectedError(provider.ec2, "StartInstances", "InsufficientInstanceCapacity")
    plan = provider.plan_resize(vm_id, "t3.large")
    with pytest.raises(errors.InsufficientCapacity, match="started again as t3.micro"):
        provider.resize_vm(plan, lambda *_: None, CancelToken())
    assert recorder.mutations == [
        "StopInstances",
        "ModifyInstanceAttribute",
        "StartInstances",  # refused: no capacity for t3.large
        "ModifyInstanceAttribute",
        "StartInstances",
    ]
    assert instance_type(vm_id) == "t3.micro"
    assert provider.refresh(vm_id).state is VmState.RUNNING


def test_cancel_after_stop_leaves_vm_stopped_at_old_size(provider: Ec2Provider) -> None:
    vm_id = run_instance("web")
    cancel = CancelToken()

    def progress(step: ResizeStep, _snap: object) -> None:
        if step is ResizeStep.STOPPING:
            cancel.cancel()

    plan = provider.plan_resize(vm_id, "t3.large")
    with pytest.raises(errors.Cancelled, match="stopped, still t3.micro"):
        provider.resize_vm(plan, progress, cancel)
    assert instance_type(vm_id) == "t3.micro"


def test_unreachable_endpoint_is_offline(
    moto: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.sshd import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(errors.Offline, match="Cannot reach AWS"):
        make_provider(owner="me").list_my_vms()
