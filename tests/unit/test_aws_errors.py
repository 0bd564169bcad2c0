"""Errors moto cannot produce, through botocore's Stubber (validated against the EC2 model)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from desktop.core import errors
from desktop.core.config import AwsConfig, PollingConfig
from desktop.core.errors import ExitCode
from desktop.providers.aws.calls import AwsCalls, RetryPolicy
from desktop.providers.aws.ec2 import Ec2Provider
from desktop.providers.aws.session import sign_in_hint

VM_ID = "i-0123456789abcdef0"


def instance(state: str = "running") -> dict[str, Any]:
    return {
        "InstanceId": VM_ID,
        "InstanceType": "t3.micro",
        "State": {"Name": state, "Code": 16},
        "Tags": [{"Key": "Name", "Value": "web"}, {"Key": "Owner", "Value": "alice"}],
        "Placement": {"AvailabilityZone": "eu-west-1a"},
        "Architecture": "x86_64",
        "RootDeviceType": "ebs",
        "LaunchTime": dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC),
    }


def describe(state: str = "running") -> dict[str, Any]:
    return {"Reservations": [{"Instances": [instance(state)]}]}


class Harness:
    def __init__(self) -> None:
        self.sleeps: list[float] = []
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        sts = boto3.client("sts", region_name="eu-west-1")
        self.stubber = Stubber(ec2)
        calls = AwsCalls(
            sign_in_hint("dev"),
            RetryPolicy(attempts=4, base_delay=1, max_delay=4, max_total=30),
            sleep=self.sleeps.append,
        )
        self.provider = Ec2Provider(
            ec2,
            sts,
            "eu-west-1",
            AwsConfig(owner="alice", region="eu-west-1"),
            calls,
            polling=PollingConfig(fast_seconds=0.01),
        )


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    with h.stubber:
        yield h
        h.stubber.assert_no_pending_responses()


def test_throttling_is_retried_with_growing_backoff(harness: Harness) -> None:
    harness.stubber.add_client_error(
        "describe_instances", "RequestLimitExceeded", http_status_code=503
    )
    harness.stubber.add_client_error(
        "describe_instances", "RequestLimitExceeded", http_status_code=503
    )
    harness.stubber.add_response("describe_instances", describe())
    vm = harness.provider.refresh(VM_ID)
    assert vm.name == "web"
    assert len(harness.sleeps) == 2
    # Exponential with jitter: each delay within [half, full] of 1 s, 2 s.
    assert 0.5 <= harness.sleeps[0] <= 1 and 1 <= harness.sleeps[1] <= 2


def test_persistent_throttling_gives_up_after_bounded_attempts(harness: Harness) -> None:
    for _ in range(4):
        harness.stubber.add_client_error("describe_instances", "Throttling", http_status_code=400)
    with pytest.raises(errors.Throttled, match="throttling"):
        harness.provider.refresh(VM_ID)
    assert len(harness.sleeps) == 3


@pytest.mark.parametrize("code", ["ExpiredToken", "RequestExpired", "AuthFailure"])
def test_expired_credentials_ask_for_sign_in(harness: Harness, code: str) -> None:
    harness.stubber.add_client_error("describe_instances", code, http_status_code=401)
    with pytest.raises(errors.AuthExpired) as caught:
        harness.provider.refresh(VM_ID)
    assert caught.value.exit_code is ExitCode.SIGN_IN
    assert (
        caught.value.hint is not None and "devtray sign-in aws --profile dev" in caught.value.hint
    )
    assert harness.sleeps == []


def test_insufficient_capacity_on_start(harness: Harness) -> None:
    harness.stubber.add_response("describe_instances", describe("stopped"))
    harness.stubber.add_client_error(
        "start_instances",
        "InsufficientInstanceCapacity",
        "We currently do not have sufficient t3.micro capacity in eu-west-1a.",
    )
    with pytest.raises(errors.InsufficientCapacity, match="sufficient t3.micro capacity"):
        harness.provider.start_vm(VM_ID)


def test_permission_denied(harness: Harness) -> None:
    harness.stubber.add_response("describe_instances", describe("running"))
    harness.stubber.add_client_error("stop_instances", "UnauthorizedOperation", "not allowed")
    with pytest.raises(errors.PermissionDenied, match="not allowed"):
        harness.provider.stop_vm(VM_ID)


@pytest.mark.parametrize("state", ["pending", "stopping"])
def test_resize_in_a_transition_is_refused(harness: Harness, state: str) -> None:
    harness.stubber.add_response("describe_instances", describe(state))
    with pytest.raises(errors.InvalidState, match="can be resized when running or stopped"):
        harness.provider.plan_resize(VM_ID, "t3.large")


def test_stop_while_starting_is_refused(harness: Harness) -> None:
    harness.stubber.add_response("describe_instances", describe("pending"))
    with pytest.raises(errors.InvalidState, match="web is starting"):
        harness.provider.stop_vm(VM_ID)


def test_instance_store_vm_cannot_be_resized(harness: Harness) -> None:
    response = describe("stopped")
    response["Reservations"][0]["Instances"][0]["RootDeviceType"] = "instance-store"
    harness.stubber.add_response("describe_instances", response)
    with pytest.raises(errors.InvalidState, match="instance-store"):
        harness.provider.plan_resize(VM_ID, "t3.large")


def test_unknown_exceptions_are_not_swallowed() -> None:
    calls = AwsCalls("hint", sleep=lambda _s: None)

    def broken() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        calls.call("do something", broken)
