"""`devtray update`: is a newer devtray out? Optionally download its installer (never install)."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.cli.context import CommandContext
from desktop.cli.output import dump_json, printable


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `update`."""
    update = commands.add_parser("update", help="check the signed release feed for a newer devtray")
    update.add_argument(
        "--download",
        metavar="DIR",
        type=Path,
        help="also download the installer into DIR (verified; you run it yourself)",
    )
    update.add_argument("--json", action="store_true", help="print the offer as JSON")
    update.set_defaults(handler=run_update)


def run_update(ctx: CommandContext) -> int:
    """Print the offer (or that devtray is up to date); download it if asked."""
    # urllib/ssl load here, not on every command's start-up.
    from desktop.remote.update_feed import check_for_update, download_installer

    offer = check_for_update(ctx.services.config.updates)
    if offer is None:
        if ctx.args.json:
            dump_json(None, ctx.out)
        else:
            ctx.out.write("devtray is up to date.\n")
        return 0
    path = download_installer(offer, ctx.args.download) if ctx.args.download else None
    if ctx.args.json:
        dump_json(
            {
                "version": offer.release.version,
                "current": offer.current,
                "url": offer.asset.url,
                "sha256": offer.asset.sha256,
                "size": offer.asset.size,
                "page": offer.release.page,
                "notes": offer.release.notes,
                "downloaded": str(path) if path else None,
            },
            ctx.out,
        )
        return 0
    ctx.out.write(printable(offer.summary()) + "\n")
    if offer.release.notes:
        ctx.out.write(printable(offer.release.notes) + "\n")
    if path:
        ctx.out.write(f"Downloaded and verified: {path}\nRun it to install.\n")
    else:
        ctx.out.write(f"Installer: {printable(offer.asset.url)}\n")
        ctx.out.write("Run `devtray update --download DIR` to fetch it (verified).\n")
    return 0
