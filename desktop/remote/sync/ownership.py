"""The owned-folder rule: sync deletes or overwrites only inside a folder devtray owns.

A push mirrors the project with `--delete`, so the folder it lands in must hold nothing but
what devtray put there. devtray owns a folder once it wrote the marker `<folder>/.devtray/owned`
in it (the VM-side agent checks the same file). Before anything is sent, one fixed script runs
on the VM over the sync's own ssh and:

- refuses `/`, the VM user's home, any parent of it, and anything in or over `~/.ssh`
  (after following symlinks, so `~/app -> ~` is the home too);
- accepts a folder that holds the marker;
- takes over a folder an older devtray synced (its `.devtray/trash` or `.devtray/rsyncd` is
  there, and only devtray writes `.devtray/`, a name reserved in projects) and marks it, so an
  upgrade does not send a user's synced folder to the trash through `--adopt`;
- claims an absent or empty folder (creates it, writes the marker);
- refuses a non-empty folder without the marker, naming what is in it, unless the user adopts
  it: then everything in it moves to `.devtray/trash/adopted-<time>/` (kept until the user
  deletes it; the daily trash pruning never touches it) before the marker is written.

`remote_path` comes from `.devtray.toml`, which is shared through the team's repository: it
reaches the VM as hex digits in one argument of a script that is read from stdin, so no shell
ever parses it.
"""

from __future__ import annotations

import enum
import json
import logging
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from desktop.core.errors import BadConfig
from desktop.core.project import REMOTE_PATH_HINT, remote_path_problem
from desktop.remote.sync.rules import VM_STATE_DIR

log = logging.getLogger(__name__)

MARKER = f"{VM_STATE_DIR}/owned"
MARKER_VERSION = 1
ADOPTED_PREFIX = f"{VM_STATE_DIR}/trash/adopted-"
CHECK_TIMEOUT = 30.0
# Names shown when a folder is refused (the count is always exact).
SHOWN_ENTRIES = 12
# ssh's own exit code: the VM was not reached (the check is then retried, never skipped).
SSH_FAILED = 255

# POSIX sh, run as `sh -s -- MODE HEX_PATH HEX_MARKER STAMP` with this text on stdin.
_SCRIPT = r"""
set -u
unhex() {
  h=$1
  while [ -n "$h" ]; do
    b=${h%"${h#??}"}
    h=${h#??}
    printf "\\$(printf %o "0x$b")"
  done
}
mode=$1
want=$(unhex "$2"; printf x); want=${want%x}
marker=$(unhex "$3"; printf x); marker=${marker%x}
stamp=$4
home=$(CDPATH= cd -P -- "$HOME" 2>/dev/null && pwd -P) \
  || { echo "error	cannot enter the home folder $HOME"; exit 0; }
case $want in
  "~") want=$home ;;
  "~/"*) want=$home/${want#"~/"} ;;
  /*) ;;
  *) want=$home/$want ;;
esac
case /$want/ in
  */../*|*/./*) echo "refused-dots	$want"; exit 0 ;;
esac
probe=$want
rest=
while [ ! -e "$probe" ]; do
  if [ -L "$probe" ]; then echo "refused-broken	$probe"; exit 0; fi
  rest=/${probe##*/}$rest
  probe=${probe%/*}
  [ -n "$probe" ] || probe=/
done
[ -d "$probe" ] || { echo "refused-notdir	$probe"; exit 0; }
base=$(CDPATH= cd -P -- "$probe" && pwd -P) || { echo "error	cannot enter $probe"; exit 0; }
[ "$base" = / ] && base=
real=$base$rest
[ -n "$real" ] || real=/
if [ "$real" = / ]; then echo "refused-root	$real"; exit 0; fi
if [ "$real" = "$home" ]; then echo "refused-home	$real"; exit 0; fi
case $home/ in "$real"/*) echo "refused-parent	$real"; exit 0 ;; esac
case $real/ in "$home"/.ssh/*) echo "refused-ssh	$real"; exit 0 ;; esac
state=$real/.devtray
if [ -n "$rest" ]; then
  mkdir -p -- "$real" || { echo "error	cannot create $real"; exit 0; }
  result=claimed
elif [ -f "$state/owned" ] && [ ! -L "$state/owned" ] && grep -q devtray "$state/owned"; then
  echo "owned	$real"
  exit 0
elif [ -d "$state" ] && [ ! -L "$state" ] \
  && { [ -f "$state/rsyncd/rsyncd.conf" ] || [ -d "$state/trash" ]; } \
  && [ ! -L "$state/trash" ] && [ ! -L "$state/rsyncd" ]; then
  result=migrated
else
  count=0
  for entry in "$real"/* "$real"/.[!.]* "$real"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    count=$((count + 1))
  done
  result=claimed
  if [ "$count" -gt 0 ]; then
    if [ -L "$state" ] || { [ -e "$state" ] && [ ! -d "$state" ]; }; then
      echo "refused-state	$real"; exit 0
    fi
    if [ "$mode" != adopt ]; then
      echo "refused-foreign	$real"
      for entry in "$real"/* "$real"/.[!.]* "$real"/..?*; do
        [ -e "$entry" ] || [ -L "$entry" ] || continue
        echo "entry	${entry##*/}"
      done
      exit 0
    fi
    trash=$state/trash/adopted-$stamp
    mkdir -p -- "$trash" || { echo "error	cannot create $trash"; exit 0; }
    for entry in "$real"/* "$real"/.[!.]* "$real"/..?*; do
      [ -e "$entry" ] || [ -L "$entry" ] || continue
      [ "$entry" = "$state" ] && continue
      mv -- "$entry" "$trash/" || { echo "error	cannot move $entry to $trash"; exit 0; }
      echo "entry	${entry##*/}"
    done
    result=adopted
  fi
fi
mkdir -p -- "$state" || { echo "error	cannot create $state"; exit 0; }
printf '%s\n' "$marker" > "$state/owned.new" && mv -f -- "$state/owned.new" "$state/owned" \
  || { echo "error	cannot write $state/owned"; exit 0; }
echo "$result	$real"
"""


class Ownership(enum.StrEnum):
    """How devtray came to own the remote folder."""

    OWNED = "owned"  # the marker was there
    CLAIMED = "claimed"  # absent or empty: created and marked
    ADOPTED = "adopted"  # held foreign files: they went to the trash, then marked
    MIGRATED = "migrated"  # synced by a devtray from before the marker: marked now


@dataclass(frozen=True)
class Claim:
    """The outcome of a successful check: the folder (symlinks resolved) and what moved."""

    ownership: Ownership
    folder: str
    moved: tuple[str, ...] = ()
    trash: str | None = None


class NotOwned(BadConfig):
    """The remote folder is one devtray must not sync into."""

    title = "Sync folder refused"


class Unreachable(Exception):
    """The VM did not answer the check (retry later; never sync meanwhile)."""


def marker_text(project_name: str) -> str:
    """The marker's one line: who wrote it, the marker's version, which project."""
    return json.dumps(
        {"owner": "devtray", "marker": MARKER_VERSION, "project": project_name},
        ensure_ascii=True,
    )


def check_remote_dir(remote_dir: str) -> str:
    """`remote_dir` normalised (no trailing or doubled slashes); NotOwned when it can be no
    project's folder (`~`, `/`, `..`, ...: see `remote_path_problem`)."""
    problem = remote_path_problem(remote_dir)
    if problem:
        raise NotOwned(f"remote_path {remote_dir!r} {problem}", hint=REMOTE_PATH_HINT)
    text = remote_dir.strip()
    return ("/" if text.startswith("/") else "") + "/".join(p for p in text.split("/") if p)


def claim(
    ssh_argv: Sequence[str],
    host: str,
    remote_dir: str,
    project_name: str,
    *,
    adopt: bool = False,
    timeout: float = CHECK_TIMEOUT,
) -> Claim:
    """Check (and when allowed, claim) `remote_dir` on `host` before any sync touches it.

    `ssh_argv` is the sync's own ssh (its `-F` config and options), without the host.
    Raises NotOwned when the folder is refused, Unreachable when the VM did not answer.
    """
    wanted = check_remote_dir(remote_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    argv = [
        *ssh_argv,
        host,
        "sh",
        "-s",
        "--",
        "adopt" if adopt else "check",
        wanted.encode("utf-8", "surrogateescape").hex(),
        marker_text(project_name).encode("utf-8").hex(),
        stamp,
    ]
    try:
        result = subprocess.run(
            argv,
            input=_SCRIPT.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise Unreachable(f"the folder check on {host} took over {timeout:g}s") from None
    out = result.stdout.decode("utf-8", "replace")
    err = result.stderr.decode("utf-8", "replace").strip()
    if result.returncode == SSH_FAILED or not out.strip():
        raise Unreachable(err.splitlines()[-1] if err else f"ssh exited {result.returncode}")
    return _outcome(out, remote_dir, host, stamp)


def _outcome(out: str, remote_dir: str, host: str, stamp: str) -> Claim:
    lines = out.splitlines()
    entries = tuple(sorted(line[6:] for line in lines if line.startswith("entry\t")))
    # One status line (before the entries of a refusal, after those of an adoption).
    status = next((line for line in lines if not line.startswith("entry\t")), "")
    kind, _, folder = status.partition("\t")
    if kind in ("owned", "claimed", "migrated"):
        return Claim(Ownership(kind), folder)
    if kind == "adopted":
        return Claim(Ownership.ADOPTED, folder, entries, f"{folder}/{ADOPTED_PREFIX}{stamp}")
    raise _refusal(kind, folder, entries, remote_dir, host)


def _refusal(
    kind: str, folder: str, entries: tuple[str, ...], remote_dir: str, host: str
) -> NotOwned:
    where = f"{host}:{folder}" + (f" (remote_path {remote_dir!r})" if folder != remote_dir else "")
    fresh = "Set remote_path in .devtray.toml to a new or empty folder."
    reasons = {
        "refused-root": "is the root folder",
        "refused-home": "is the VM user's home folder",
        "refused-parent": "is a parent of the VM user's home folder",
        "refused-ssh": "is inside ~/.ssh",
        "refused-dots": "has . or .. segments",
        "refused-broken": "is a symlink that leads nowhere",
        "refused-notdir": "is a file, not a folder",
        "refused-state": "has a .devtray that is not a folder devtray made",
    }
    if kind in reasons:
        return NotOwned(
            f"Not syncing into {where}: it {reasons[kind]}; a sync there would delete or "
            "overwrite files devtray did not put there.",
            hint=fresh,
        )
    if kind == "refused-foreign":
        more = ", ..." if len(entries) > SHOWN_ENTRIES else ""
        shown = ", ".join(entries[:SHOWN_ENTRIES]) + more
        return NotOwned(
            f"Not syncing into {where}: it holds {len(entries)} entries devtray did not put "
            f"there ({shown}), and a sync would delete or overwrite them.",
            hint=f"{fresh} Or run `devtray up --adopt` to move those {len(entries)} entries to "
            f"{folder}/{ADOPTED_PREFIX}<time>/ (kept there until you delete them) and sync "
            "into the folder.",
        )
    detail = folder or kind or "no answer"
    return NotOwned(f"Could not check the sync folder {remote_dir!r} on {host}: {detail}")


def claim_local(
    folder: Path, project_name: str, *, adopt: bool = False, home: Path | None = None
) -> Claim:
    """The owned-folder rule of `claim` for a folder on this computer (the simulated demo VM's
    disk), in Python: the same refusals, marker, migration and adoption, no shell needed.

    Raises NotOwned when the folder is refused."""
    where = "the demo VM"
    check_remote_dir(folder.as_posix())
    real = folder.expanduser().resolve()
    home = (home or Path.home()).resolve()
    text = real.as_posix()
    refusal = None
    if real == Path(real.anchor):
        refusal = "refused-root"
    elif real == home:
        refusal = "refused-home"
    elif real in home.parents:
        refusal = "refused-parent"
    elif real == home / ".ssh" or home / ".ssh" in real.parents:
        refusal = "refused-ssh"
    elif real.exists() and not real.is_dir():
        refusal = "refused-notdir"
    if refusal is not None:
        raise _refusal(refusal, text, (), str(folder), where)
    state = real / VM_STATE_DIR
    marker = real / MARKER
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    moved: tuple[str, ...] = ()
    if marker.is_file() and not marker.is_symlink() and "devtray" in marker.read_text("utf-8"):
        return Claim(Ownership.OWNED, text)
    if (
        state.is_dir()
        and not state.is_symlink()
        and ((state / "rsyncd" / "rsyncd.conf").is_file() or (state / "trash").is_dir())
    ):
        ownership = Ownership.MIGRATED
    else:
        entries = sorted(entry.name for entry in real.iterdir()) if real.is_dir() else []
        ownership = Ownership.CLAIMED
        if entries:
            if state.is_symlink() or (state.exists() and not state.is_dir()):
                raise _refusal("refused-state", text, (), str(folder), where)
            if not adopt:
                raise _refusal("refused-foreign", text, tuple(entries), str(folder), where)
            trash = real / f"{ADOPTED_PREFIX}{stamp}"
            trash.mkdir(parents=True, exist_ok=True)
            moved = tuple(name for name in entries if name != VM_STATE_DIR)
            for name in moved:
                (real / name).rename(trash / name)
            ownership = Ownership.ADOPTED
    state.mkdir(parents=True, exist_ok=True)
    fresh = marker.with_name("owned.new")
    fresh.write_text(marker_text(project_name) + "\n", encoding="utf-8")
    fresh.replace(marker)
    if ownership is Ownership.ADOPTED:
        return Claim(ownership, text, moved, f"{text}/{ADOPTED_PREFIX}{stamp}")
    return Claim(ownership, text)
