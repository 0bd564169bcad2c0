"""Signing in as the tray asks: an existing SSO profile, or a new one from a start URL.

Real botocore clients against the IAM Identity Center stand-in on 127.0.0.1
(`tests/sso_emulator.py`); the person approving in the browser is `show_code` approving at once.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.core import errors
from desktop.core.aws_sign_in import AwsRole, AwsSignInRequest, RoleChoiceNeeded
from desktop.core.files import backup_path
from desktop.providers.aws.sso import DeviceCode, read_sso_profile
from desktop.providers.aws.sso_setup import sign_in_as_requested
from tests.sshd import free_port
from tests.sso_emulator import ACCOUNT_ID, START_URL, SsoEmulator, sso_emulator  # noqa: F401

NEW = AwsSignInRequest(profile="work", start_url=START_URL, sso_region="eu-west-1")


def aws_config() -> Path:
    return Path(os.environ["AWS_CONFIG_FILE"])


def sign_in(request: AwsSignInRequest, emulator: SsoEmulator) -> str:
    """Sign in as the tray does, with a person who approves the code as soon as it shows."""

    def approve_in_browser(code: DeviceCode) -> None:
        emulator.approve(code.user_code)

    return sign_in_as_requested(request, approve_in_browser)


def test_an_existing_profile_signs_in_and_the_aws_config_is_left_alone(
    sso_emulator: SsoEmulator,  # noqa: F811 - the fixture imported above
) -> None:
    text = (
        "# mine\n[profile dev]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = Developer\n"
    )
    aws_config().parent.mkdir(parents=True)
    aws_config().write_text(text)
    message = sign_in(AwsSignInRequest(profile="dev"), sso_emulator)
    assert message == f"Signed in to {START_URL} (profile dev)."
    assert aws_config().read_text() == text
    assert "ListAccounts" not in sso_emulator.calls


def test_a_new_profile_is_appended_keeping_the_file_and_a_backup(
    sso_emulator: SsoEmulator,  # noqa: F811
) -> None:
    original = "# my settings\n[profile other]\nregion = us-east-1"  # no final newline
    aws_config().parent.mkdir(parents=True)
    aws_config().write_text(original)
    message = sign_in(NEW, sso_emulator)
    assert message.startswith(f"Signed in to {START_URL} as Developer in dev ({ACCOUNT_ID})")
    text = aws_config().read_text()
    assert text.startswith(original + "\n\n[profile work]\nsso_session = work\n")
    assert backup_path(aws_config()).read_text() == original
    profile = read_sso_profile("work")
    assert (profile.start_url, profile.region, profile.session_name) == (
        START_URL,
        "eu-west-1",
        "work",
    )
    # Signing in again with the same start URL reuses the profile instead of adding another.
    sign_in(NEW, sso_emulator)
    assert aws_config().read_text() == text


def test_a_name_taken_for_something_else_is_refused_before_any_request(
    sso_emulator: SsoEmulator,  # noqa: F811
) -> None:
    aws_config().parent.mkdir(parents=True)
    aws_config().write_text("[profile work]\nregion = us-east-1\n")
    with pytest.raises(errors.BadConfig, match="already has a profile or sso-session named 'work'"):
        sign_in(NEW, sso_emulator)
    assert sso_emulator.calls == []


def test_several_roles_are_offered_and_the_chosen_one_needs_no_second_approval(
    sso_emulator: SsoEmulator,  # noqa: F811
) -> None:
    sso_emulator.accounts = {
        "111122223333": ("dev", ("Developer", "ReadOnly")),
        "444455556666": ("prod", ("ReadOnly",)),
    }
    with pytest.raises(RoleChoiceNeeded) as raised:
        sign_in(NEW, sso_emulator)
    assert str(raised.value).startswith(
        "You can use 3 AWS roles: Developer in dev (111122223333); ReadOnly in dev "
        "(111122223333); ReadOnly in prod (444455556666).\n"
        "Choose the one for your VM"
    )
    assert not aws_config().exists()
    prod = raised.value.roles[2]

    message = sign_in(NEW.with_role(prod), sso_emulator)
    assert message.startswith(f"Signed in to {START_URL} as ReadOnly in prod (444455556666)")
    assert sso_emulator.calls.count("StartDeviceAuthorization") == 1  # the token was reused
    assert "sso_account_id = 444455556666\nsso_role_name = ReadOnly\n" in aws_config().read_text()


def test_a_chosen_role_no_longer_offered_is_refused(
    sso_emulator: SsoEmulator,  # noqa: F811
) -> None:
    gone = AwsRole("444455556666", "prod", "Admin")
    with pytest.raises(errors.PermissionDenied, match="Admin in prod .* is not among the roles"):
        sign_in(NEW.with_role(gone), sso_emulator)
    assert not aws_config().exists()


def test_no_role_or_only_malformed_ones_is_permission_denied(
    sso_emulator: SsoEmulator,  # noqa: F811
) -> None:
    # Role names go into ~/.aws/config as lines: one that could add a section is not taken.
    sso_emulator.accounts = {"111122223333": ("dev", ("Dev\n[profile evil]",))}
    with pytest.raises(errors.PermissionDenied, match="no AWS account role is assigned"):
        sign_in(NEW, sso_emulator)
    assert not aws_config().exists()


def test_an_unreachable_identity_center_is_offline(
    sso_emulator: SsoEmulator,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(errors.Offline, match="Cannot reach IAM Identity Center in eu-west-1"):
        sign_in(NEW, sso_emulator)
