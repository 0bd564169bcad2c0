"""Wait until `ssh ALIAS true` gets in, saying what ssh answers while it does not.

A VM that is booting refuses or times out for a while: that is worth waiting for. An answer
that will not change by waiting (a refused key, a name that does not resolve, a host key that
does not match) ends the wait early, naming ssh's own words, instead of minutes of silence.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop.core import errors
from desktop.core.provider import CancelToken

PROBE_TIMEOUT = 10
PROBE_INTERVAL = 2.0
# What ssh prints when waiting will not help (OpenSSH's own wording).
PERMANENT_ANSWERS = (
    "Permission denied",
    "Could not resolve hostname",
    "Host key verification failed",
    "REMOTE HOST IDENTIFICATION HAS CHANGED",
    "Too many authentication failures",
    "Unable to negotiate",
    "Bad configuration option",
    "no such identity",
)
# A permanent-looking answer must repeat before the wait ends: right after a first boot,
# cloud-init may not have installed the key yet for a second or two.
PERMANENT_AFTER = 2


@dataclass(frozen=True)
class ProbeAnswer:
    """One attempt: did ssh get in, and if not, its last words."""

    ok: bool
    reason: str = ""

    @property
    def permanent(self) -> bool:
        """True when waiting longer will not change the answer."""
        folded = self.reason.casefold()
        return any(answer.casefold() in folded for answer in PERMANENT_ANSWERS)


def probe(ssh: Path, ssh_config: Path, alias: str) -> ProbeAnswer:
    """One `ssh ALIAS true` (batch mode, no shared connection left behind)."""
    try:
        result = subprocess.run(
            [
                str(ssh),
                "-F",
                str(ssh_config),
                "-o",
                "BatchMode=yes",
                "-o",
                f"ConnectTimeout={PROBE_TIMEOUT}",
                # A probe must not leave a ControlPersist master behind.
                "-o",
                "ControlMaster=no",
                "-o",
                "ControlPath=none",
                alias,
                "true",
            ],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=PROBE_TIMEOUT + 5,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ProbeAnswer(False, "ssh timed out")
    if result.returncode == 0:
        return ProbeAnswer(True)
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    return ProbeAnswer(False, lines[-1] if lines else f"ssh exited with {result.returncode}")


def wait_for_ssh(
    ssh: Path,
    ssh_config: Path,
    alias: str,
    *,
    within: float,
    cancel: CancelToken,
    on_answer: Callable[[int, ProbeAnswer], None] = lambda number, answer: None,
) -> None:
    """Probe until ssh gets in; `on_answer` hears every failed attempt (number, answer).

    Raises `Offline` after `within` seconds, `InvalidState` early on an answer waiting will
    not change, `Cancelled` when `cancel` is set."""
    deadline = time.monotonic() + within
    permanent_in_a_row = 0
    answer = ProbeAnswer(False, "no answer")
    number = 0
    while time.monotonic() < deadline:
        if cancel.cancelled:
            raise errors.Cancelled("Cancelled while waiting for SSH.")
        number += 1
        answer = probe(ssh, ssh_config, alias)
        if answer.ok:
            return
        on_answer(number, answer)
        permanent_in_a_row = permanent_in_a_row + 1 if answer.permanent else 0
        if permanent_in_a_row >= PERMANENT_AFTER:
            raise errors.InvalidState(
                f"ssh {alias} answered: {answer.reason}",
                hint=f"Waiting will not change that. Try `ssh {alias}` to see why.",
            )
        if cancel.wait(PROBE_INTERVAL):
            raise errors.Cancelled("Cancelled while waiting for SSH.")
    raise errors.Offline(
        f"SSH did not answer within {int(within)} s: {answer.reason}",
        hint=f"Try `ssh {alias}` to see why.",
    )
