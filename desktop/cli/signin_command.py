"""`devtray sign-in aws`: IAM Identity Center sign-in shared with the AWS CLI (and, registered
from azure_commands, `devtray sign-in azure`)."""

from __future__ import annotations

import argparse
import webbrowser

from desktop.cli import azure_commands
from desktop.cli.context import CommandContext


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sign-in`."""
    sign_in = commands.add_parser("sign-in", help="sign in to a cloud")
    clouds = sign_in.add_subparsers(dest="cloud", required=True, metavar="CLOUD")
    aws = clouds.add_parser("aws", help="IAM Identity Center (SSO) device sign-in")
    aws.add_argument("--profile", help="AWS profile (default: devtray's [aws] profile)")
    aws.add_argument("--no-browser", action="store_true", help="only print the URL")
    aws.set_defaults(handler=sign_in_aws)
    azure_commands.register_sign_in(clouds)


def sign_in_aws(ctx: CommandContext) -> int:
    """Run the device flow for the profile and cache the token where the AWS CLI looks."""
    from desktop.providers.aws.sso import DeviceCode, make_oidc_client, read_sso_profile, sign_in

    configured = ctx.services.config.aws
    profile = read_sso_profile(ctx.args.profile or (configured.profile if configured else None))

    def show_code(code: DeviceCode) -> None:
        ctx.err.write(
            f"To sign in, open {code.verification_uri} and enter the code {code.user_code}\n"
            "Waiting for approval in the browser...\n"
        )
        ctx.err.flush()
        if not ctx.args.no_browser:
            webbrowser.open(code.verification_uri_complete)

    path = sign_in(profile, make_oidc_client(profile.region), show_code=show_code)
    ctx.out.write(
        f"Signed in to {profile.start_url} (profile {profile.profile}); token in {path}\n"
    )
    return 0
