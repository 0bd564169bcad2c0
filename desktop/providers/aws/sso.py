"""IAM Identity Center (SSO) sign-in: the device authorization flow, cached like the AWS CLI.

The token goes into `~/.aws/sso/cache/<sha1>.json` in the AWS CLI's format, so `aws` and
devtray share one login (botocore reads it back for SSO profiles).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from desktop.core import errors
from desktop.core.files import atomic_write
from desktop.providers.aws.session import CONNECT_TIMEOUT, READ_TIMEOUT

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_SCOPES = ("sso:account:access",)
CLIENT_NAME = "devtray"
SIGN_IN_AGAIN = "Sign in again (Sign in… in the tray, or `devtray sign-in aws`)"


@dataclass(frozen=True)
class SsoProfile:
    """The SSO settings of one AWS profile (an `sso-session` section, or the legacy keys)."""

    profile: str
    start_url: str
    region: str
    session_name: str | None
    scopes: tuple[str, ...]

    @property
    def cache_key(self) -> str:
        """What botocore hashes to name the cache file: the session name, else the start URL."""
        return self.session_name or self.start_url


def cache_file(profile: SsoProfile, home: Path | None = None) -> Path:
    """Where the AWS CLI and botocore look for this profile's token."""
    digest = hashlib.sha1(profile.cache_key.encode("utf-8"), usedforsecurity=False).hexdigest()
    return (home or Path.home()) / ".aws" / "sso" / "cache" / f"{digest}.json"


def read_sso_profile(profile: str | None) -> SsoProfile:
    """The SSO settings of `profile` from ~/.aws/config; BadConfig if it is not an SSO profile."""
    import botocore.session
    from botocore.exceptions import ProfileNotFound

    name = profile or "default"
    session = botocore.session.Session(profile=profile)
    try:
        scoped: dict[str, Any] = session.get_scoped_config()
    except ProfileNotFound:
        raise errors.BadConfig(
            f"AWS profile {name!r} is not in ~/.aws/config.",
            hint="Create it with `aws configure sso`, or name another with --profile.",
        ) from None
    session_name = scoped.get("sso_session")
    source: dict[str, Any] = scoped
    if session_name:
        sessions: dict[str, Any] = session.full_config.get("sso_sessions", {})
        if session_name not in sessions:
            raise errors.BadConfig(
                f"AWS profile {name!r} names sso_session {session_name!r}, "
                "which ~/.aws/config does not define.",
                hint=f"Add an [sso-session {session_name}] section (aws configure sso-session).",
            )
        source = sessions[session_name]
    start_url = source.get("sso_start_url")
    region = source.get("sso_region")
    if not start_url or not region:
        raise errors.BadConfig(
            f"AWS profile {name!r} is not set up for IAM Identity Center "
            "(it needs sso_start_url and sso_region).",
            hint="Run `aws configure sso --profile NAME` once, or use access keys instead.",
        )
    raw_scopes = str(source.get("sso_registration_scopes", "")).split(",")
    scopes = tuple(s.strip() for s in raw_scopes if s.strip()) or DEFAULT_SCOPES
    return SsoProfile(name, str(start_url), str(region), session_name, scopes)


def make_unsigned_client(service: str, region: str) -> Any:
    """A client that signs nothing, with devtray's timeouts: the device flow (`sso-oidc`) and
    the access portal (`sso`) take no credentials, only the SSO token."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config as BotoConfig

    config = BotoConfig(
        signature_version=UNSIGNED, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT
    )
    return boto3.session.Session().client(service, region_name=region, config=config)  # type: ignore[call-overload]


def make_oidc_client(region: str) -> Any:
    """An unsigned sso-oidc client (the device flow needs no credentials)."""
    return make_unsigned_client("sso-oidc", region)


@dataclass(frozen=True)
class DeviceCode:
    """What the person needs to approve the sign-in in a browser."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str


def sign_in(
    profile: SsoProfile,
    oidc: Any,
    *,
    show_code: Callable[[DeviceCode], None],
    home: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Path:
    """Run the device flow to the end; write the token cache; return its path."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    try:
        registration = oidc.register_client(
            clientName=CLIENT_NAME, clientType="public", scopes=list(profile.scopes)
        )
        device = oidc.start_device_authorization(
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            startUrl=profile.start_url,
        )
    except ClientError as exc:
        raise errors.AuthExpired(
            f"IAM Identity Center refused to start sign-in: {exc}",
            hint=f"Check the start URL ({profile.start_url}) and region ({profile.region}) "
            f"of profile {profile.profile!r}.",
        ) from None
    except (ConnectionError, HTTPClientError):
        # A mistyped region has no endpoint; an offline laptop reaches none.
        raise errors.Offline(
            f"Cannot reach IAM Identity Center in {profile.region}.",
            hint="Check the region and your network connection, then sign in again.",
        ) from None
    show_code(
        DeviceCode(
            user_code=device["userCode"],
            verification_uri=device["verificationUri"],
            verification_uri_complete=device.get("verificationUriComplete")
            or device["verificationUri"],
        )
    )
    token = _poll_for_token(oidc, registration, device, sleep=sleep, now=now)
    started = now()
    cache = {
        "startUrl": profile.start_url,
        "region": profile.region,
        "accessToken": token["accessToken"],
        "expiresAt": _aws_time(started + timedelta(seconds=int(token["expiresIn"]))),
        "clientId": registration["clientId"],
        "clientSecret": registration["clientSecret"],
        "registrationExpiresAt": _aws_time(
            datetime.fromtimestamp(int(registration["clientSecretExpiresAt"]), UTC)
        ),
    }
    if token.get("refreshToken"):
        cache["refreshToken"] = token["refreshToken"]
    path = cache_file(profile, home)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, json.dumps(cache, indent=2).encode("utf-8"), mode=0o600, backup=False)
    return path


def _poll_for_token(
    oidc: Any,
    registration: dict[str, Any],
    device: dict[str, Any],
    *,
    sleep: Callable[[float], None],
    now: Callable[[], datetime],
) -> dict[str, Any]:
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    interval = float(device.get("interval") or 5)
    deadline = now() + timedelta(seconds=int(device.get("expiresIn") or 600))
    while now() < deadline:
        try:
            token: dict[str, Any] = oidc.create_token(
                grantType=DEVICE_GRANT,
                deviceCode=device["deviceCode"],
                clientId=registration["clientId"],
                clientSecret=registration["clientSecret"],
            )
            return token
        except (ConnectionError, HTTPClientError):
            raise errors.Offline(
                "Lost the connection to IAM Identity Center while waiting for the approval.",
                hint=f"Check your network connection. {SIGN_IN_AGAIN}.",
            ) from None
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "AuthorizationPendingException":
                sleep(interval)
                continue
            if code == "SlowDownException":
                interval += 5  # RFC 8628 section 3.5
                sleep(interval)
                continue
            if code == "AccessDeniedException":
                raise errors.AuthExpired(
                    "The sign-in was denied in the browser.",
                    hint=f"{SIGN_IN_AGAIN} and approve the request.",
                ) from None
            if code == "ExpiredTokenException":  # the service's word for an expired code
                break
            raise errors.AuthExpired(
                f"Sign-in did not complete ({code}).", hint=f"{SIGN_IN_AGAIN}."
            ) from None
    raise errors.AuthExpired(
        "The sign-in code expired before it was approved.",
        hint=f"{SIGN_IN_AGAIN} and approve the request within the time shown.",
    )


def _aws_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
