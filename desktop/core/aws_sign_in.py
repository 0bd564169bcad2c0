"""What a person asks for when signing in to AWS from the tray: an existing SSO profile, or a new
one set up from an IAM Identity Center start URL and region (what `aws configure sso` asks).

Checked here, before anything is written to ~/.aws/config or any request is sent: these values
end up as lines in the AWS config file, so nothing that could break its syntax gets through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.core.errors import BadConfig

NEW_PROFILE = "devtray"  # the profile set up from a start URL when no name is given
_PROFILE = re.compile(r"[A-Za-z0-9_.+-]{1,64}")
_START_URL = re.compile(r"https://[A-Za-z0-9._~:/?&=%+@!$'()*,-]+")  # URL characters
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", re.ASCII)


@dataclass(frozen=True)
class AwsSignInRequest:
    """An AWS profile to sign in with; with `start_url`, a profile to set up first."""

    profile: str | None = None
    start_url: str | None = None
    sso_region: str | None = None

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
