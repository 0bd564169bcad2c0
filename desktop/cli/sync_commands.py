"""`devtray sync status|pause|resume|flush [DIR] [--json]`: the running sync of a project."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.cli.context import CommandContext
from desktop.cli.output import dump_json
from desktop.core.project import load_project
from desktop.core.sync_state import SyncStatus
from desktop.remote.sync import control

DEFAULT_FLUSH_TIMEOUT = 120.0
_HELP = {
    "status": "show what the project's sync is doing",
    "pause": "stop sending changes to the VM (they are still noticed)",
    "resume": "send what changed while paused, and carry on",
    "flush": "wait until the VM holds the laptop's tree (exit 1 if it cannot)",
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sync` and its sub-commands."""
    sync = commands.add_parser("sync", help="the running file sync: status, pause, resume, flush")
    verbs = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    for verb in control.COMMANDS:
        parser = verbs.add_parser(verb, help=_HELP[verb])
        parser.add_argument("dir", nargs="?", default=".", help="project folder (default: .)")
        parser.add_argument("--json", action="store_true", help="print a JSON object")
        if verb == "flush":
            parser.add_argument(
                "--timeout",
                type=float,
                default=DEFAULT_FLUSH_TIMEOUT,
                help=f"seconds to wait (default {DEFAULT_FLUSH_TIMEOUT:g})",
            )
        parser.set_defaults(handler=run_sync_command)


def run_sync_command(ctx: CommandContext) -> int:
    """Ask the process running the project's sync, and print its answer."""
    root = load_project(Path(ctx.args.dir)).root
    verb = ctx.args.sync_command
    status = control.ask(root, verb, flush_timeout=getattr(ctx.args, "timeout", 60.0))
    if status is None:
        if ctx.args.json:
            dump_json({"root": str(root), "running": False}, ctx.out)
        else:
            ctx.err.write(
                f"No sync is running for {root}.\n  `devtray up {ctx.args.dir}` starts one.\n"
            )
        return 1
    failed = verb == "flush" and status.has_unsynced_changes
    if ctx.args.json:
        dump_json({"root": str(root), "running": True, **status.to_json()}, ctx.out)
    else:
        ctx.out.write(_describe(root, status))
    if failed:
        ctx.err.write(f"error: the VM does not hold every change yet ({status.summary()}).\n")
    return 1 if failed else 0


def _describe(root: Path, status: SyncStatus) -> str:
    lines = [f"Sync of {root}: {status.summary()}", f"  engine: {status.engine}"]
    if status.pending:
        lines.append(f"  changes waiting: {status.pending}")
    if status.last_synced_at:
        lines.append(f"  last synced: {status.last_synced_at.astimezone():%Y-%m-%d %H:%M:%S}")
    lines += [f"  conflict: {path}" for path in status.conflicts]
    return "\n".join(lines) + "\n"
