"""What the tray's AWS sign-in form accepts: checked before anything is sent or written."""

from __future__ import annotations

import pytest

from desktop.core.aws_sign_in import NEW_PROFILE, AwsSignInRequest
from desktop.core.errors import BadConfig


def test_blanks_mean_the_default_profile_and_a_start_url_names_a_new_one() -> None:
    assert AwsSignInRequest.from_form(" ", "", "") == AwsSignInRequest()
    assert AwsSignInRequest().profile_name is None
    assert AwsSignInRequest.from_form(" dev ", "", "").profile_name == "dev"
    new = AwsSignInRequest.from_form("", " https://corp.awsapps.com/start ", "eu-west-1")
    assert (new.start_url, new.sso_region, new.profile_name) == (
        "https://corp.awsapps.com/start",
        "eu-west-1",
        NEW_PROFILE,
    )


@pytest.mark.parametrize(
    ("profile", "start_url", "region", "expected"),
    [
        ("my profile", "", "", "cannot be an AWS profile name"),
        ("dev]\n[x", "", "", "cannot be an AWS profile name"),
        ("", "http://corp.awsapps.com/start", "eu-west-1", "not an IAM Identity Center"),
        ("", "https://corp.awsapps.com/start\n[x]", "eu-west-1", "not an IAM Identity Center"),
        ("", "https://corp.awsapps.com/start", "", "The region is missing"),
        ("", "https://corp.awsapps.com/start", "eu-west-1\nx", "is not an AWS region"),
        ("", "", "eu-west-1", "only goes with a start URL"),
    ],
)
def test_what_cannot_be_written_to_the_aws_config_is_refused(
    profile: str, start_url: str, region: str, expected: str
) -> None:
    with pytest.raises(BadConfig, match=expected):
        AwsSignInRequest.from_form(profile, start_url, region)
