"""boto3 sessions and clients: profile, region, timeouts, and who the caller is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop.core.config import AwsConfig
from desktop.providers.aws.calls import AwsCalls

if TYPE_CHECKING:
    import boto3

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0


def sign_in_hint(profile: str | None) -> str:
    """The command that fixes missing or expired AWS credentials."""
    suffix = f" --profile {profile}" if profile else ""
    return f"Run `devtray sign-in aws{suffix}` (or `aws sso login{suffix}`), then try again."


def make_session(config: AwsConfig, calls: AwsCalls) -> boto3.session.Session:
    """A boto3 session for the configured profile (or the default chain)."""
    import boto3

    return calls.call("load your AWS profile", boto3.session.Session, profile_name=config.profile)


def resolve_region(config: AwsConfig, session: boto3.session.Session) -> str:
    """The region from devtray's config, else from the AWS profile; an error if neither."""
    from desktop.core.errors import BadConfig

    region = config.region or session.region_name
    if not region:
        raise BadConfig(
            "No AWS region is set.",
            hint="Set region under [aws] in devtray's config, or in your AWS profile "
            "(aws configure set region eu-west-1).",
        )
    return region


def make_client(session: boto3.session.Session, service: str, region: str) -> Any:
    """A client with bounded timeouts; throttling back-off is ours (AwsCalls), not botocore's."""
    from botocore.config import Config as BotoConfig

    boto_config = BotoConfig(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"total_max_attempts": 1, "mode": "standard"},
        user_agent_extra="devtray",
    )
    return session.client(service, region_name=region, config=boto_config)  # type: ignore[call-overload]


def owner_from_arn(arn: str) -> str:
    """The caller's name: the ARN's last path segment (the SSO session name for SSO users)."""
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]
