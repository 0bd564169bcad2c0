"""moto in server mode on 127.0.0.1: real HTTP, real boto3, pointed with AWS_ENDPOINT_URL."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

REGION = "eu-west-1"
X86_IMAGE = "ami-760aaa0f"  # moto's Amazon Linux x86_64 image (a Linux dev box)
ARM_IMAGE = "ami-0e9271c829888680e"  # an Amazon-owned arm64 image moto ships
CALLER = "moto"  # moto's caller identity is arn:aws:sts::123456789012:user/moto


@dataclass
class MotoEndpoint:
    """A running moto server."""

    url: str

    def reset(self) -> None:
        """Forget every resource (between tests)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[MotoEndpoint]:
    """One moto server for the whole session, on a free loopback port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert host == "127.0.0.1"
    try:
        yield MotoEndpoint(f"http://127.0.0.1:{port}")
    finally:
        server.stop()


@pytest.fixture
def moto(moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoEndpoint]:
    """A clean moto server, with boto3 pointed at it through AWS_ENDPOINT_URL."""
    moto_endpoint.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint.url)
    yield moto_endpoint


def ec2_client() -> Any:
    """A plain boto3 EC2 client for arranging test fixtures."""
    import boto3

    return boto3.client("ec2", region_name=REGION)


def run_instance(
    name: str,
    owner: str = CALLER,
    instance_type: str = "t3.micro",
    image: str = X86_IMAGE,
    extra_tags: Sequence[tuple[str, str]] = (),
    zone: str = "eu-west-1a",
) -> str:
    """Launch an instance tagged Name/Owner in moto; returns its id."""
    tags = [{"Key": "Name", "Value": name}, {"Key": "Owner", "Value": owner}]
    tags += [{"Key": k, "Value": v} for k, v in extra_tags]
    response = ec2_client().run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        Placement={"AvailabilityZone": zone},
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )
    return str(response["Instances"][0]["InstanceId"])
