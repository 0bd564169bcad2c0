"""Parsing and dispatch for `devtray`; errors become messages and exit codes, never tracebacks."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from desktop import __version__
from desktop.cli import (
    azure_commands,
    connect_commands,
    connect_proxy,
    cost_commands,
    doctor_command,
    signin_command,
    sync_commands,
    up_command,
    update_command,
    vm_commands,
)
from desktop.cli.context import CommandContext, Registrar
from desktop.cli.output import render_error
from desktop.core.errors import DevtrayError, ExitCode
from desktop.services.registry import Services
from desktop.system.logs import setup_logging

log = logging.getLogger(__name__)

# Each command module adds its own sub-commands.
COMMAND_MODULES: tuple[Registrar, ...] = (
    vm_commands.register,
    signin_command.register,
    doctor_command.register,
    connect_commands.register,
    azure_commands.register,
    cost_commands.register,
    sync_commands.register,
    up_command.register,
    connect_proxy.register,
    update_command.register,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(ExitCode.USAGE)


DESCRIPTION = """\
devtray: your personal cloud dev VM, from the system tray and the command line.

Run `devtray` with no command to start the tray icon: your VM's state and cost, start,
stop and resize, file sync, tunnels, Open in VS Code or PyCharm, the end-of-day auto-stop.
Run `devtray --demo` to try the tray against a simulated cloud (no account, nothing billed).
The commands below do the same from a terminal or a script."""

EPILOG = "Each command explains itself: devtray COMMAND --help"


def _describe_commands(parser: argparse.ArgumentParser) -> None:
    # A command's --help opens with the line `devtray --help` lists it with, unless it has its
    # own description.
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, command in action.choices.items():
            text = helps.get(name)
            if command.description is None and text:
                command.description = text[0].upper() + text[1:] + "."
            _describe_commands(command)


def build_parser() -> argparse.ArgumentParser:
    """The full `devtray` argument parser."""
    parser: argparse.ArgumentParser = _Parser(
        prog="devtray",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"devtray {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in COMMAND_MODULES:
        register(commands)
    _describe_commands(parser)
    return parser


def main(
    argv: Sequence[str],
    load_services: Callable[[], Services],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one command; returns its exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.command is None:
        parser.print_help(out)
        return ExitCode.USAGE
    ctx = CommandContext(args=args, load_services=load_services, out=out, err=err)
    try:
        return int(args.handler(ctx))
    except DevtrayError as exc:
        log.info("%s failed: %s", args.command, exc)
        render_error(exc, err)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        err.write("\ninterrupted\n")
        return ExitCode.FAILED
    except Exception:
        path = setup_logging()
        log.exception("unexpected error in `devtray %s`", args.command)
        err.write(
            f"error: something went wrong in `devtray {args.command}`.\n"
            f"  The details are in {path}; please include them in a bug report.\n"
        )
        return ExitCode.FAILED
