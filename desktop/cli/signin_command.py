"""`devtray sign-in aws`: IAM Identity Center sign-in shared with the AWS CLI, with an existing
profile or, from a start URL and region, a profile set up as the tray's Welcome window does
(and, registered from azure_commands, `devtray sign-in azure`)."""

from __future__ import annotations

import argparse
import sys
import webbrowser
from typing import TYPE_CHECKING

from desktop.cli import azure_commands
from desktop.cli.context import CommandContext
from desktop.core import errors
from desktop.core.aws_sign_in import (
    AwsRole,
    AwsSignInRequest,
    RoleChoiceNeeded,
    remember_signed_in_profile,
)

if TYPE_CHECKING:
    from desktop.providers.aws.sso import DeviceCode

MAX_ROLE_ASKS = 3  # wrong answers at the role prompt before giving up


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sign-in`."""
    sign_in = commands.add_parser("sign-in", help="sign in to a cloud")
    clouds = sign_in.add_subparsers(dest="cloud", required=True, metavar="CLOUD")
    aws = clouds.add_parser("aws", help="IAM Identity Center (SSO) device sign-in")
    aws.add_argument(
        "--profile",
        help="AWS profile (default: devtray's [aws] profile; with --start-url: devtray)",
    )
    aws.add_argument("--start-url", help="IAM Identity Center start URL: set a profile up")
    aws.add_argument("--region", help="IAM Identity Center region (with --start-url)")
    aws.add_argument("--role", help="ACCOUNT/ROLE to use when several are offered")
    aws.add_argument("--no-browser", action="store_true", help="only print the URL")
    aws.set_defaults(handler=sign_in_aws)
    azure_commands.register_sign_in(clouds)


def sign_in_aws(ctx: CommandContext) -> int:
    """Run the device flow (setting the profile up first from a start URL) and cache the token
    where the AWS CLI looks; a profile set up here becomes devtray's, as in the tray."""
    from desktop.providers.aws.sso_setup import sign_in_as_requested

    request = _request(ctx)

    def show_code(code: DeviceCode) -> None:
        ctx.err.write(
            f"To sign in, open {code.verification_uri} and enter the code {code.user_code}\n"
            "Waiting for approval in the browser (Ctrl-C cancels)...\n"
        )
        ctx.err.flush()
        if not ctx.args.no_browser:
            webbrowser.open(code.verification_uri_complete)

    try:
        try:
            message = sign_in_as_requested(request, show_code)
        except RoleChoiceNeeded as choice:
            request = request.with_role(_choose_role(ctx, choice))
            message = sign_in_as_requested(request, show_code)  # the token is reused
    except KeyboardInterrupt:
        raise errors.Cancelled("Sign-in cancelled; nothing was saved.") from None
    ctx.out.write(message + "\n")
    if request.start_url is not None:
        config_path = ctx.services.config.path
        assert config_path is not None
        remember_signed_in_profile(config_path, request)
        ctx.out.write(f"devtray uses profile {request.profile_name} ([aws] in {config_path}).\n")
    return 0


def _request(ctx: CommandContext) -> AwsSignInRequest:
    """What the options ask for, checked before anything is sent (BadConfig: exit 2)."""
    args = ctx.args
    if args.start_url is None:
        if args.region is not None or args.role is not None:
            raise errors.BadConfig(
                "--region and --role only go with --start-url.",
                hint="Add --start-url URL, or sign in with --profile alone.",
            )
        configured = ctx.services.config.aws
        return AwsSignInRequest(
            profile=args.profile or (configured.profile if configured else None)
        )
    request = AwsSignInRequest.from_form(args.profile or "", args.start_url, args.region or "")
    return request.with_role(AwsRole.from_choice(args.role)) if args.role else request


def _choose_role(ctx: CommandContext, choice: RoleChoiceNeeded) -> AwsRole:
    """The role a person at a terminal picks from the numbered list; without one, exit 2 with
    the list and how to pass it."""
    listed = [f"{role.account_id}/{role.role_name}" for role in choice.roles]
    if not (sys.stdin.isatty() and ctx.interactive):
        raise errors.BadConfig(
            f"You can use {len(listed)} AWS roles: {', '.join(listed)}.",
            hint=f"Choose one with --role, e.g. --role {listed[0]}.",
        )
    ctx.err.write(f"You can use {len(listed)} AWS roles:\n")
    for number, role in enumerate(choice.roles, start=1):
        ctx.err.write(f"  {number}. {role.describe()}\n")
    for _ in range(MAX_ROLE_ASKS):
        ctx.err.write(f"Role for your VM [1-{len(listed)}]: ")
        ctx.err.flush()
        answer = sys.stdin.readline().strip()
        if answer.isdigit() and 1 <= int(answer) <= len(listed):
            return choice.roles[int(answer) - 1]
    raise errors.BadConfig("No role was chosen.", hint=f"Pass --role, e.g. --role {listed[0]}.")
