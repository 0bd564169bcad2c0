"""Running rsync over the shared connection, one run at a time, cancellable, classified.

A failed run says whether the VM was unreachable (offline: retry quietly) or something else
went wrong (error: show the reason).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
from collections.abc import Mapping

from desktop.remote.sync import children
from desktop.remote.sync.link import SharedConnection
from desktop.remote.sync.target import rsh_command

log = logging.getLogger(__name__)

# rsync's exit codes for a lost or refused connection (255 is ssh's own).
OFFLINE_CODES = frozenset({5, 10, 12, 30, 35, 255})
# 24: a file vanished while rsync read the tree (an editor's temp file): nothing to repeat.
SUCCESS_CODES = frozenset({0, 24})
# I/O timeout passed to rsync: a stalled connection fails the run instead of hanging it.
IO_TIMEOUT = 30
RUN_TIMEOUT = 3600.0
# Makes rsync print one line per item it creates, updates or deletes (`%i %n%L`).
ITEMIZE = "--itemize-changes"
# An itemized line whose content moved (sent, received, created, hard-linked: `<f+++++++++ a`)
# or a deletion. Attribute-only lines (`.d..t...... ./`) and rsync's messages do not match.
_CHANGED_ITEM = re.compile(r"(?:[<>ch][fdLDS][-.+ ?a-zA-Z]{9} |\*deleting )")


class RunFailed(Exception):
    """An rsync run did not complete."""

    def __init__(self, reason: str, *, offline: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offline = offline


class Rsync:
    """Runs rsync with the shared connection as its remote shell."""

    def __init__(self, executable: str, link: SharedConnection) -> None:
        self.executable = executable
        self.link = link
        self._lock = threading.Lock()
        self._current: subprocess.Popen[bytes] | None = None
        self._cancelled = False

    def run(self, args: list[str], *, env: Mapping[str, str] | None = None) -> str:
        """Run `rsync ARGS`; returns stdout, raises RunFailed.

        Remote paths are `host:path` (over the shared SSH connection) or `rsync://` URLs (the
        VM's rsync daemon through its forward, with the password in `env`).
        """
        daemon = any(arg.startswith("rsync://") for arg in args)
        shell = [] if daemon else ["-e", rsh_command(self.link.ssh_argv())]
        argv = [self.executable, f"--timeout={IO_TIMEOUT}", *shell, *args]
        started = time.monotonic()
        with self._lock:
            if self._cancelled:
                raise RunFailed("stopped", offline=False)
            self._current = process = children.spawn(
                argv, stdout=subprocess.PIPE, env={**os.environ, **env} if env else None
            )
        try:
            out, err = process.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            children.end(process)
            raise RunFailed("rsync took over an hour and was stopped", offline=False) from None
        finally:
            with self._lock:
                self._current = None
        code = process.returncode
        log.debug("rsync exit %s in %.3fs: %s", code, time.monotonic() - started, args[-2:])
        if code in SUCCESS_CODES:
            return out.decode("utf-8", "replace")
        reason = _last_line(err.decode("utf-8", "replace")) or f"rsync exited with code {code}"
        if code < 0 or code == 20:
            reason = "rsync was interrupted"
        raise RunFailed(reason, offline=code in OFFLINE_CODES)

    def cancel(self) -> None:
        """End the run under way (if any) and refuse new ones."""
        with self._lock:
            self._cancelled = True
            process = self._current
        if process is not None:
            children.end(process)


def changed_items(itemized: str) -> int:
    """How many paths an `--itemize-changes` run created, updated or deleted.

    Lines starting with `.` are left out: an item whose content did not move and only had its
    attributes set, which is what a folder gets when a file inside it changes (it would count
    the same edit twice) and what a run that found nothing prints for the root folder; and so
    are rsync's own messages (`created 3 directories for ...`).
    """
    return sum(1 for line in itemized.splitlines() if _CHANGED_ITEM.match(line))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # rsync's closing "rsync error: ... (code N) at main.c" is less telling than what precedes it.
    meaningful = [line for line in lines if not line.startswith("rsync error:")]
    return (meaningful or lines or [""])[-1]
