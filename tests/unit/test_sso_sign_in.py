"""IAM Identity Center device sign-in through Stubber, with a temporary HOME.

The token must land where botocore (and so the AWS CLI) reads it back.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from desktop.core import errors
from desktop.providers.aws.sso import (
    DEVICE_GRANT,
    DeviceCode,
    cache_file,
    read_sso_profile,
    sign_in,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def write_aws_config(home: Path, text: str) -> None:
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


SESSION_CONFIG = """\
[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""

LEGACY_CONFIG = """\
[profile old]
sso_start_url = https://legacy.awsapps.com/start
sso_region = eu-central-1
sso_account_id = 111122223333
sso_role_name = Developer
"""


def oidc_with_flow(pending: int, slow_down: int, refused: str | None = None) -> tuple[Any, Stubber]:
    """An sso-oidc client that answers the device flow; `refused`: CreateToken's last error."""
    client = boto3.client("sso-oidc", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "register_client",
        {
            "clientId": "cid",
            "clientSecret": "csecret",
            "clientIdIssuedAt": int(NOW.timestamp()),
            "clientSecretExpiresAt": int((NOW + timedelta(days=90)).timestamp()),
        },
        {"clientName": "devtray", "clientType": "public", "scopes": ["sso:account:access"]},
    )
    stubber.add_response(
        "start_device_authorization",
        {
            "deviceCode": "dev-code",
            "userCode": "ABCD-EFGH",
            "verificationUri": "https://device.sso.us-east-1.amazonaws.com/",
            "verificationUriComplete": "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH",
            "expiresIn": 600,
            "interval": 5,
        },
        {
            "clientId": "cid",
            "clientSecret": "csecret",
            "startUrl": "https://corp.awsapps.com/start",
        },
    )
    token_params = {
        "grantType": DEVICE_GRANT,
        "deviceCode": "dev-code",
        "clientId": "cid",
        "clientSecret": "csecret",
    }
    for _ in range(pending):
        stubber.add_client_error(
            "create_token", "AuthorizationPendingException", expected_params=token_params
        )
    for _ in range(slow_down):
        stubber.add_client_error("create_token", "SlowDownException", expected_params=token_params)
    if refused:
        stubber.add_client_error("create_token", refused, expected_params=token_params)
        return client, stubber
    stubber.add_response(
        "create_token",
        {
            "accessToken": "the-access-token",
            "tokenType": "Bearer",
            "expiresIn": 28800,
            "refreshToken": "rt",
        },
        token_params,
    )
    return client, stubber


def test_device_flow_writes_the_aws_cli_cache(isolated_home: Path) -> None:
    write_aws_config(isolated_home, SESSION_CONFIG)
    profile = read_sso_profile("dev")
    assert (profile.start_url, profile.region, profile.session_name) == (
        "https://corp.awsapps.com/start",
        "us-east-1",
        "corp",
    )
    client, stubber = oidc_with_flow(pending=2, slow_down=1)
    shown: list[DeviceCode] = []
    sleeps: list[float] = []
    with stubber:
        path = sign_in(
            profile, client, show_code=shown.append, sleep=sleeps.append, now=lambda: NOW
        )
        stubber.assert_no_pending_responses()
    assert shown[0].user_code == "ABCD-EFGH"
    assert sleeps == [5, 5, 10]  # interval, interval, then +5 s after SlowDown (RFC 8628)
    assert path == cache_file(profile) and path.parent == isolated_home / ".aws" / "sso" / "cache"
    assert path.stat().st_mode & 0o777 == 0o600
    cached = json.loads(path.read_text())
    assert cached["accessToken"] == "the-access-token"
    assert cached["expiresAt"] == "2026-11-23T17:00:00Z"
    assert cached["refreshToken"] == "rt" and cached["clientId"] == "cid"

    # botocore, and so the AWS CLI, reads the same file back for this sso-session.
    from botocore.utils import JSONFileCache, SSOTokenLoader

    loader = SSOTokenLoader(cache=JSONFileCache(str(path.parent)))
    token = loader(profile.start_url, session_name="corp")
    assert token["accessToken"] == "the-access-token"


def test_legacy_profile_is_keyed_by_start_url(isolated_home: Path) -> None:
    write_aws_config(isolated_home, LEGACY_CONFIG)
    profile = read_sso_profile("old")
    assert profile.session_name is None and profile.cache_key == "https://legacy.awsapps.com/start"
    assert profile.region == "eu-central-1"


def test_denied_and_expired_codes(isolated_home: Path) -> None:
    write_aws_config(isolated_home, SESSION_CONFIG)
    profile = read_sso_profile("dev")
    client, stubber = oidc_with_flow(pending=0, slow_down=0, refused="AccessDeniedException")
    with stubber, pytest.raises(errors.AuthExpired, match="denied"):
        sign_in(profile, client, show_code=lambda _c: None, sleep=lambda _s: None, now=lambda: NOW)

    # The service says the code expired (its clock ran out before ours).
    client, stubber = oidc_with_flow(pending=1, slow_down=0, refused="ExpiredTokenException")
    with stubber, pytest.raises(errors.AuthExpired, match="expired before it was approved"):
        sign_in(profile, client, show_code=lambda _c: None, sleep=lambda _s: None, now=lambda: NOW)

    moments = iter([NOW, NOW + timedelta(seconds=601)])
    client, stubber = oidc_with_flow(pending=1, slow_down=0)
    with stubber, pytest.raises(errors.AuthExpired, match="expired before it was approved"):
        sign_in(
            profile,
            client,
            show_code=lambda _c: None,
            sleep=lambda _s: None,
            now=lambda: next(moments),
        )


@pytest.mark.parametrize(
    ("config", "profile", "expected"),
    [
        ("", "nope", "not in ~/.aws/config"),
        ("[profile keys]\nregion = eu-west-1\n", "keys", "not set up for IAM Identity Center"),
        ("[profile dev]\nsso_session = gone\n", "dev", "which ~/.aws/config does not define"),
    ],
)
def test_profiles_that_cannot_sign_in(
    isolated_home: Path, config: str, profile: str, expected: str
) -> None:
    write_aws_config(isolated_home, config)
    with pytest.raises(errors.BadConfig, match=expected):
        read_sso_profile(profile)
