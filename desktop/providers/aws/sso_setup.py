"""AWS sign-in as the tray asks for it: with an existing SSO profile, or from a start URL.

From a start URL and region (a first run, no `aws configure sso` done yet) this does what that
command does: the device flow, then the person's role from the access portal (the only one, or
the one they chose from the list a first attempt returned), then a profile and an `sso-session`
appended to ~/.aws/config (atomically, with a backup) so that botocore, the AWS CLI and devtray
all use the same sign-in. Nothing is written to ~/.aws/config before a role is settled; a token
still valid from the first attempt is reused, so choosing a role needs no second approval.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from desktop.core import errors
from desktop.core.aws_sign_in import AwsRole, AwsSignInRequest, RoleChoiceNeeded
from desktop.core.files import atomic_write
from desktop.core.provider import CancelToken
from desktop.providers.aws.calls import AwsCalls
from desktop.providers.aws.sso import (
    DEFAULT_SCOPES,
    DeviceCode,
    SsoProfile,
    cache_file,
    make_oidc_client,
    make_unsigned_client,
    read_sso_profile,
    sign_in,
)

log = logging.getLogger(__name__)

MAX_ACCOUNTS = 200  # bounds the portal listing: one page per account for its roles
_ACCOUNT_ID = re.compile(r"\d{12}", re.ASCII)
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


def aws_config_file() -> Path:
    """The AWS config file botocore reads: $AWS_CONFIG_FILE, else ~/.aws/config."""
    return Path(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()


def make_portal_client(region: str) -> Any:
    """An unsigned client of the access portal (`sso`): it takes the SSO token, no credentials."""
    return make_unsigned_client("sso", region)


def sign_in_as_requested(
    request: AwsSignInRequest,
    show_code: Callable[[DeviceCode], None],
    *,
    cancel: CancelToken | None = None,
    oidc: Callable[[str], Any] = make_oidc_client,
    portal: Callable[[str], Any] = make_portal_client,
) -> str:
    """Sign in (setting the profile up first when a start URL is given); what happened, in words.

    `cancel` ends the wait for the browser's approval (window closed, tray quitting).
    """
    sleep = _sleep_unless(cancel or CancelToken())
    profile = _profile_to_sign_in(request)
    if profile is not None:
        sign_in(profile, oidc(profile.region), show_code=show_code, sleep=sleep)
        return f"Signed in to {profile.start_url} (profile {profile.profile})."
    assert request.start_url is not None and request.sso_region is not None
    name = request.profile_name or "default"
    new = SsoProfile(name, request.start_url, request.sso_region, name, DEFAULT_SCOPES)
    token = _valid_cached_token(new)
    if token is None:
        cache = sign_in(new, oidc(new.region), show_code=show_code, sleep=sleep)
        token = str(json.loads(cache.read_text(encoding="utf-8"))["accessToken"])
    role = settle_role(portal(new.region), token, new, request.role)
    path = write_sso_profile(new, role)
    read_sso_profile(name)  # botocore must read back what was written
    return f"Signed in to {new.start_url} as {role.describe()}; profile {name} saved in {path}."


def _profile_to_sign_in(request: AwsSignInRequest) -> SsoProfile | None:
    """The existing profile to sign in with, or None when a new one is to be set up."""
    if request.start_url is None:
        return read_sso_profile(request.profile_name)
    import botocore.session

    name = request.profile_name or "default"
    full: dict[str, Any] = botocore.session.Session().full_config
    if name not in full.get("profiles", {}) and name not in full.get("sso_sessions", {}):
        return None
    existing: SsoProfile | None = None
    if name in full.get("profiles", {}):
        try:
            existing = read_sso_profile(name)
        except errors.BadConfig:
            existing = None
    if existing is not None and existing.start_url == request.start_url:
        return existing  # already set up for this start URL: just sign in again
    raise errors.BadConfig(
        f"{aws_config_file()} already has a profile or sso-session named {name!r}"
        " for something else.",
        hint="Type another profile name, or clear the start URL to sign in with that profile.",
    )


def _valid_cached_token(profile: SsoProfile) -> str | None:
    """The access token cached for this sso-session and start URL, if valid 5 more minutes."""
    try:
        cached = json.loads(cache_file(profile).read_text(encoding="utf-8"))
        expires = datetime.strptime(cached["expiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if cached.get("startUrl") != profile.start_url:
        return None
    if expires < datetime.now(UTC) + timedelta(minutes=5):
        return None
    return str(cached["accessToken"])


def settle_role(
    portal: Any, token: str, profile: SsoProfile, chosen: AwsRole | None = None
) -> AwsRole:
    """The role the profile uses: the one chosen, else the only one; else an error saying what
    to do (RoleChoiceNeeded carries the roles to choose from)."""
    roles = _portal_roles(portal, token, profile)
    if chosen is not None:
        for role in roles:
            if (role.account_id, role.role_name) == (chosen.account_id, chosen.role_name):
                return role
        raise errors.PermissionDenied(
            f"{chosen.describe()} is not among the roles {profile.start_url} offers you now.",
            hint="Sign in again and choose from the list shown then.",
        )
    if len(roles) == 1:
        return roles[0]
    if not roles:
        raise errors.PermissionDenied(
            f"You signed in to {profile.start_url}, but no AWS account role is assigned to you.",
            hint="Ask your AWS administrator to assign you a permission set in the account "
            "that has your VM.",
        )
    raise RoleChoiceNeeded(tuple(roles), profile.profile)


def _portal_roles(portal: Any, token: str, profile: SsoProfile) -> list[AwsRole]:
    calls = AwsCalls(sign_in_hint=f"Sign in to {profile.start_url} again.")

    def listing() -> list[AwsRole]:
        pages = portal.get_paginator("list_accounts").paginate(
            accessToken=token, PaginationConfig={"MaxItems": MAX_ACCOUNTS}
        )
        accounts = [account for page in pages for account in page.get("accountList", [])]
        found = []
        for account in accounts:
            account_id = str(account.get("accountId", ""))
            if not _ACCOUNT_ID.fullmatch(account_id):
                log.warning("ignored an account id that is not 12 digits: %r", account_id)
                continue
            role_pages = portal.get_paginator("list_account_roles").paginate(
                accessToken=token, accountId=account_id, PaginationConfig={"MaxItems": 100}
            )
            for page in role_pages:
                for role in page.get("roleList", []):
                    role_name = str(role.get("roleName", ""))
                    # These lines go into ~/.aws/config: nothing that could break its syntax.
                    if _ROLE_NAME.fullmatch(role_name):
                        name = str(account.get("accountName") or account_id)
                        found.append(AwsRole(account_id, name, role_name))
                    else:
                        log.warning("ignored a role name AWS would not allow: %r", role_name)
        return found

    return calls.call("list your AWS accounts and roles", listing)


def write_sso_profile(profile: SsoProfile, role: AwsRole) -> Path:
    """Append the profile and its sso-session to the AWS config file; returns its path."""
    path = aws_config_file()
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    header = "default" if profile.profile == "default" else f"profile {profile.profile}"
    block = (
        f"[{header}]\n"
        f"sso_session = {profile.session_name}\n"
        f"sso_account_id = {role.account_id}\n"
        f"sso_role_name = {role.role_name}\n"
        f"region = {profile.region}\n"
        "\n"
        f"[sso-session {profile.session_name}]\n"
        f"sso_start_url = {profile.start_url}\n"
        f"sso_region = {profile.region}\n"
        f"sso_registration_scopes = {','.join(profile.scopes)}\n"
    )
    separator = "" if not current else "\n" if current.endswith("\n") else "\n\n"
    atomic_write(path, (current + separator + block).encode("utf-8"), mode=mode, backup=True)
    return path


def _sleep_unless(cancel: CancelToken) -> Callable[[float], None]:
    def sleep(seconds: float) -> None:
        if cancel.wait(seconds):
            raise errors.Cancelled("Sign-in cancelled.")

    return sleep
