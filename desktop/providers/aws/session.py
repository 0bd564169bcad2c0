"""boto3 sessions and clients: profile, region, timeouts, and who the caller is."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from desktop.core.config import AwsConfig
from desktop.providers.aws.calls import AwsCalls

if TYPE_CHECKING:
    import boto3

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0


FIRST_SIGN_IN = "devtray sign-in aws --start-url URL --region R"


def sign_in_hint(profile: str | None) -> str:
    """The command that fixes missing or expired AWS credentials: devtray's own first (AWS CLI
    v1 has no `aws sso login`); without a profile, the first sign-in from a start URL."""
    if profile:
        return (
            f"Run `devtray sign-in aws --profile {profile}` "
            f"(or, with AWS CLI v2, `aws sso login --profile {profile}`), then try again."
        )
    return (
        f"Run `{FIRST_SIGN_IN}` with your IAM Identity Center start URL and its region "
        "(`devtray sign-in aws` alone signs in again with a profile set up before)."
    )


def make_session(config: AwsConfig, calls: AwsCalls) -> boto3.session.Session:
    """A boto3 session for the configured profile (or the default chain)."""
    import boto3

    return calls.call("load your AWS profile", boto3.session.Session, profile_name=config.profile)


def resolve_region(
    config: AwsConfig, session: boto3.session.Session, *, config_exists: bool
) -> str:
    """The region from devtray's config, else AWS_REGION, else the AWS profile's.

    With none of them and no devtray config, devtray was never set up: that is a sign-in
    (exit 3, the tray's Welcome window), not a configuration error.
    """
    from desktop.core.errors import AuthExpired, BadConfig

    # botocore reads AWS_DEFAULT_REGION only; the AWS CLI v2 and the other SDKs also AWS_REGION.
    region = config.region or os.environ.get("AWS_REGION") or session.region_name
    if not region and not config_exists and config.profile is None:
        raise AuthExpired(
            "devtray is not set up yet: no AWS sign-in and no region.",
            hint=f"Sign in with `{FIRST_SIGN_IN}` (your IAM Identity Center start URL and its "
            "region), or try devtray without a cloud: `devtray --demo`.",
        )
    if not region:
        raise BadConfig(
            "No AWS region is set.",
            hint="Set region under [aws] in devtray's config, AWS_REGION, or a region in your "
            "AWS profile (aws configure set region eu-west-1).",
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
