"""What a person asks for when signing in to AWS from the tray: an existing SSO profile, or a new
one set up from an IAM Identity Center start URL and region (what `aws configure sso` asks),
and — when the access portal offers several — which role it uses.

Checked here, before anything is written to ~/.aws/config or any request is sent: these values
end up as lines in the AWS config file, so nothing that could break its syntax gets through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from desktop.core.config import update_config
from desktop.core.errors import BadConfig
from desktop.core.humanize import printable

NEW_PROFILE = "devtray"  # the profile set up from a start URL when no name is given
_PROFILE = re.compile(r"[A-Za-z0-9_.+-]{1,64}")
_START_URL = re.compile(r"https://[A-Za-z0-9._~:/?&=%+@!$'()*,-]+")  # URL characters
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", re.ASCII)
_ROLE_CHOICE = re.compile(r"(\d{12})/([\w+=,.@-]{1,64})", re.ASCII)  # ACCOUNT/ROLE


@dataclass(frozen=True)
class AwsRole:
    """A role the signed-in person may use in one AWS account (from the access portal)."""

    account_id: str
    account_name: str
    role_name: str

    def describe(self) -> str:
        """`Developer in dev (111122223333)`."""
        return f"{self.role_name} in {printable(self.account_name)} ({self.account_id})"

    @classmethod
    def from_choice(cls, text: str) -> AwsRole:
        """The role named as `ACCOUNT/ROLE` (`111122223333/Developer`); BadConfig if it is not."""
        match = _ROLE_CHOICE.fullmatch(text.strip())
        if match is None:
            raise BadConfig(
                f"{text!r} does not name a role as ACCOUNT/ROLE.",
                hint="Write the 12-digit account id, a slash and the role: 111122223333/Developer.",
            )
        return cls(account_id=match[1], account_name="", role_name=match[2])


class RoleChoiceNeeded(BadConfig):
    """The access portal offers several roles: the person picks one (the tray lists them)."""

    title = "Choose a role"

    def __init__(self, roles: tuple[AwsRole, ...], profile: str) -> None:
        listed = "; ".join(role.describe() for role in roles[:5])
        more = f" and {len(roles) - 5} more" if len(roles) > 5 else ""
        super().__init__(
            f"You can use {len(roles)} AWS roles: {listed}{more}.",
            hint=f"Choose the one for your VM (or once: `aws configure sso --profile {profile}`).",
        )
        self.roles = roles


@dataclass(frozen=True)
class AwsSignInRequest:
    """An AWS profile to sign in with; with `start_url`, a profile to set up first, with
    `role` if the person already chose one."""

    profile: str | None = None
    start_url: str | None = None
    sso_region: str | None = None
    role: AwsRole | None = None

    def with_role(self, role: AwsRole) -> AwsSignInRequest:
        """The same request, with the role the person chose."""
        return replace(self, role=role)

    @classmethod
    def from_form(cls, profile: str, start_url: str, sso_region: str) -> AwsSignInRequest:
        """The request for what was typed (blanks mean "not given"); BadConfig says what to fix."""
        name, url, region = profile.strip() or None, start_url.strip() or None, sso_region.strip()
        if name is not None and not _PROFILE.fullmatch(name):
            raise BadConfig(
                f"{name!r} cannot be an AWS profile name.",
                hint="Use letters, digits, '-', '_' or '.', or leave it empty.",
            )
        if url is None:
            if region:
                raise BadConfig(
                    "An Identity Center region only goes with a start URL.",
                    hint="Enter your start URL too, or clear the region to use the profile's.",
                )
            return cls(profile=name)
        if not _START_URL.fullmatch(url):
            raise BadConfig(
                f"{url!r} is not an IAM Identity Center start URL.",
                hint="It looks like https://my-company.awsapps.com/start (your AWS access portal).",
            )
        if not _REGION.fullmatch(region):
            raise BadConfig(
                f"{region!r} is not an AWS region." if region else "The region is missing.",
                hint="Enter the region of your IAM Identity Center, e.g. eu-west-1.",
            )
        return cls(profile=name, start_url=url, sso_region=region)

    @property
    def profile_name(self) -> str | None:
        """The profile signed in with (None: the default one)."""
        if self.profile is None and self.start_url is not None:
            return NEW_PROFILE
        return self.profile


def remember_signed_in_profile(config_path: Path, request: AwsSignInRequest) -> None:
    """After a sign-in succeeded, devtray uses its profile: `[aws] profile` in config.toml
    (nothing changes for the default profile)."""
    if request.profile_name is not None:
        update_config(config_path, {"aws": {"profile": request.profile_name}})
