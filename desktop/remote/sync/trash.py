"""The VM-side trash: every file a push overwrites or deletes is kept first, pruned by age.

Layout on the VM: `<remote_path>/.devtray/trash/<YYYY-MM-DD>/<path>~<HHMMSS.mmm>`, so one
folder per day (easy to prune) and one copy per run (nothing overwrites an earlier copy).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from desktop.remote.sync.rsync import RunFailed
from desktop.remote.sync.rules import TRASH_DIR

DEFAULT_KEEP_DAYS = 7
_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})$")


def _suffix(now: datetime) -> str:
    return f"~{now:%H%M%S}.{now.microsecond // 1000:03d}"


def backup_args(now: datetime) -> list[str]:
    """rsync arguments that move overwritten and deleted files into today's trash folder."""
    return ["--backup", f"--backup-dir={TRASH_DIR}/{now:%Y-%m-%d}", f"--suffix={_suffix(now)}"]


def backup_path(rel: str, now: datetime) -> str:
    """Where in the project's folder on the VM the copy of `rel` kept at `now` goes (the
    same place `backup_args` makes rsync put it)."""
    return f"{TRASH_DIR}/{now:%Y-%m-%d}/{rel}{_suffix(now)}"


def expired(names: Iterable[str], today: date, keep_days: int) -> list[str]:
    """The trash day folders among `names` older than `keep_days`."""
    cutoff = today - timedelta(days=keep_days)
    old = []
    for name in names:
        match = _DAY.search(name.strip())
        if match is None:
            continue
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            continue
        if day <= cutoff:
            old.append(match.group(1))
    return sorted(old)


def expired_days(listing: str, today: date, keep_days: int) -> list[str]:
    """Trash day folders in an `rsync --list-only` listing older than `keep_days`."""
    return expired(
        (line for line in listing.splitlines() if line.startswith("d")), today, keep_days
    )


def prune(
    run: Callable[[list[str]], str],
    remote: Callable[[str], str],
    today: date,
    keep_days: int,
) -> list[str]:
    """Delete the VM's trash folders older than `keep_days`; returns the days removed.

    `run` runs rsync with the given arguments; `remote(subpath)` names a path on the VM.
    """
    try:
        listing = run(["--list-only", remote(f"{TRASH_DIR}/")])
    except RunFailed as failure:
        if failure.offline:
            raise
        return []  # no trash yet
    days = expired_days(listing, today, keep_days)
    if days:
        with tempfile.TemporaryDirectory(prefix="devtray-empty-") as empty:
            run(
                [
                    "-r",
                    "--delete",
                    *[f"--include=/{day}/***" for day in days],
                    "--exclude=*",
                    f"{empty}/",
                    remote(f"{TRASH_DIR}/"),
                ]
            )
    return days
