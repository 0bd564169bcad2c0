"""The agent engine: the built-in engine's watcher and worker, with a resident agent on the VM
doing the transfers instead of rsync.

A save costs one pipelined request on a channel that is already open (no new ssh session, no
rsync handshake): about one round trip. Whole-tree runs (the first sync, bursts, branch
switches, reconnects, wakes, flushes) reconcile: the agent lists the VM's tree, the laptop
compares it with git's view of the project (size, modification time, and a content hash where
those disagree) and sends only the differences, all requests back to back. Pull folders come
back the same way. Everything else — the owned-folder check before anything is sent (with
`--adopt`), the push scope, batching, status, back-off, pause, flush — is the built-in engine's,
so both behave the same to the tray, `devtray sync ...` and auto-stop.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.core.errors import DevtrayError
from desktop.core.project import Project
from desktop.core.sync_state import SyncPhase, SyncStatus
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync import rules, trash
from desktop.remote.sync.agent_link import AgentChannel, AgentRefused, Pending
from desktop.remote.sync.builtin import BuiltinEngine, Tuning, _Batch, asking_git
from desktop.remote.sync.rsync import RunFailed
from desktop.remote.sync.target import SshTarget

log = logging.getLogger(__name__)

ENGINE_NAME = "agent"
CHUNK = 1024 * 1024
_NO_PRUNE = float("inf")  # the agent prunes the VM's trash itself, when it starts
# A save costs about one round trip here, so the watcher's 20 ms settling step would be most
# of it on a near link: hand changes over after 5 ms of quiet instead.
DEFAULT_TUNING = Tuning(step_ms=5)
# From this many new files in one reconcile, rsync (where the laptop has it) sends them.
BULK_FILES = 200
# A file alike in size but not in mtime is compared by content hash from this size on; a
# smaller one is sent outright (reading and hashing it on both sides, plus a round trip, costs
# more than sending it, measured in benchmarks/sync_latency.py).
HASH_MIN = 256 * 1024


@dataclass(frozen=True)
class Entry:
    """One path on either side: kind `f` file, `d` folder, `l` symlink, `o` other."""

    kind: str
    size: int = 0
    mtime_ns: int = 0
    mode: int = 0
    target: str | None = None


def file_mode(st_mode: int) -> int:
    """The mode bits to give a copy on the VM. Windows reports 0o666 for every file and 0o777
    for folders: that would make the VM's copies writable by anyone, so there they are
    0o644 and 0o755."""
    if sys.platform == "win32":
        return 0o755 if stat.S_ISDIR(st_mode) else 0o644
    return stat.S_IMODE(st_mode)


def local_entry(path: Path) -> Entry | None:
    """What is at `path` on the laptop (None if nothing)."""
    try:
        info = path.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return Entry("l", target=os.readlink(path))
    if stat.S_ISDIR(info.st_mode):
        return Entry("d", mode=file_mode(info.st_mode))
    if stat.S_ISREG(info.st_mode):
        return Entry("f", info.st_size, info.st_mtime_ns, file_mode(info.st_mode))
    return Entry("o")


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


class AgentEngine(BuiltinEngine):
    """See the module docstring."""

    name = ENGINE_NAME

    def __init__(
        self,
        project: Project,
        target: SshTarget,
        *,
        supervisor: Supervisor,
        tuning: Tuning | None = None,
        rsync_path: str | None = None,
        adopt: bool = False,
    ) -> None:
        # No rsync daemon: the agent is the engine's one process on the VM.
        tuning = replace(tuning or DEFAULT_TUNING, use_daemon=False)
        super().__init__(
            project,
            target,
            supervisor=supervisor,
            tuning=tuning,
            rsync_path=rsync_path or "rsync",
            adopt=adopt,
        )
        # Where the laptop has rsync, big batches go through it (see `_rsync_files`).
        self._bulk_rsync = rsync_path is not None
        self._next_prune = _NO_PRUNE
        self._left_out = rules.LeftOut(project)
        self._channel: AgentChannel | None = None
        # Paths known to be in the push scope (files and their folders): a save of one of
        # them needs no question to git.
        self._known: set[str] = set()
        self.refused: set[str] = set()  # paths the agent would not write (logged)
        self._refusal: DevtrayError | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def stop(self) -> None:
        """End the agent first (a worker waiting for answers returns), then as the base."""
        self._stop_event.set()
        self._drop_channel()
        super().stop()

    def flush(self, timeout: float) -> SyncStatus:
        """As the base, and then until no run is under way: a run the watcher started during
        the flush (the last files of a checkout, reported late) is waited for too."""
        if self._refusal is not None:
            return self.status()  # a folder that is not devtray's: waiting would not help
        deadline = time.monotonic() + timeout
        super().flush(timeout)
        with self._cond:
            while (
                (self._status.phase is SyncPhase.SYNCING or self._changes)
                and not (self._stopping or self._paused)
                and time.monotonic() < deadline
            ):
                self._cond.wait(min(deadline - time.monotonic(), 0.05))
            return self._status

    def on_wake(self, seconds: float) -> None:
        """After a sleep the agent's session is dead or stale: start a fresh one, reconcile."""
        self._drop_channel()
        super().on_wake(seconds)

    def _drop_channel(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()

    @property
    def agent_pid(self) -> int | None:
        """The agent's process id on the VM (None while there is none)."""
        channel = self._channel
        return channel.pid if channel is not None and channel.alive else None

    def _connect(self) -> None:
        super()._connect()
        if self._channel is not None and self._channel.alive:
            return
        self._drop_channel()
        assert self._claim is not None  # the base's _connect ran the owned-folder check
        channel = AgentChannel(
            [*self._link.ssh_argv(), self.target.host],
            self._claim.folder,  # as checked and claimed, symlinks resolved
            self.project.sync.trash_days,
        )
        try:
            channel.open()
        except AgentRefused as error:  # the folder changed since the check: check it again
            channel.close()
            self._claim = None
            raise RunFailed(str(error), offline=False) from None
        except DevtrayError as error:  # no python3 on the VM
            channel.close()
            self._refusal = error
            raise RunFailed(str(error), offline=False) from None
        except RunFailed:
            channel.close()
            raise
        self._refusal = None
        self._channel = channel

    def _fail(self, batch: _Batch, failure: RunFailed) -> None:
        super()._fail(batch, failure)
        if self._refusal is not None:
            # Waiting would not help (retries go on, in case the folder gets fixed): a
            # flush returns now with the error, so `devtray up` says it at once.
            with self._cond:
                self._flushed = self._flush_wanted
                self._cond.notify_all()

    def _maintain(self) -> None:
        channel = self._channel
        if channel is not None and not channel.alive and time.monotonic() >= self._next_probe:
            with self._cond:
                self._whole_tree_owed = True  # the agent died: reconnect and reconcile
        super()._maintain()

    def _live(self) -> AgentChannel:
        channel = self._channel
        if channel is None or not channel.alive:
            raise RunFailed("the sync agent is not running", offline=True)
        return channel

    # -- pushes -------------------------------------------------------------------------------

    def _push_whole_tree(self) -> None:
        started = time.time_ns()
        try:
            self._reconcile(self._live())
        finally:
            self._runs.append((started, time.time_ns()))

    def _push_changes(self, changes: rules.ChangeSet) -> bool:
        """Send exactly the reported paths (forced: a same-size edit in the same tick too)."""
        if not changes.paths:
            return True
        channel = self._live()
        started = time.time_ns()
        # Paths known to be in scope need no question to git; a new folder brings the files
        # in it (made before the watcher saw it, they raise no event of their own).
        known = {path for path in changes.paths if path in self._known}
        fresh = rules.ChangeSet((changes.paths - known) | changes.added_dirs, changes.added_dirs)
        with asking_git():
            narrowed = self._push_scope.narrow(fresh).paths
        paths = known | {path for path in narrowed if not self._left_out(path)}
        pendings: list[tuple[str, Pending]] = []
        for path in sorted(paths):
            entry = local_entry(self.root / path)
            if entry is None:
                self._known.discard(path)
                pendings.append((path, channel.request({"op": "delete", "path": path})))
                continue
            self._known.add(path)
            pendings += self._send(channel, path, entry)
        self._collect(channel, pendings)
        self._runs.append((started, time.time_ns()))
        return True

    def _send(self, channel: AgentChannel, path: str, entry: Entry) -> list[tuple[str, Pending]]:
        """Requests that make the VM's `path` what `entry` is on the laptop."""
        if entry.kind == "d":
            return [(path, channel.request({"op": "mkdir", "path": path, "mode": entry.mode}))]
        if entry.kind == "l":
            request = {"op": "symlink", "path": path, "target": entry.target}
            return [(path, channel.request(request))]
        if entry.kind == "f":
            pending = self._put(channel, path)
            return [] if pending is None else [(path, pending)]
        return []  # sockets, fifos: not synced

    def _put(self, channel: AgentChannel, path: str) -> Pending | None:
        """Stream a file in chunks under one id; None if it vanished meanwhile."""
        try:
            handle = (self.root / path).open("rb")
        except OSError:
            return None
        with handle:
            info = os.fstat(handle.fileno())
            ident = channel.next_id()
            header: dict[str, Any] = {
                "op": "put",
                "path": path,
                "mode": file_mode(info.st_mode),
                "mtime_ns": info.st_mtime_ns,
            }
            offset = 0
            chunk = handle.read(CHUNK)
            while True:
                following = handle.read(CHUNK) if len(chunk) == CHUNK else b""
                final = not following
                pending = channel.request(
                    {**header, "offset": offset, "final": final},
                    chunk,
                    ident=ident,
                    answered=final,
                )
                if final:
                    return pending
                offset += len(chunk)
                chunk = following

    def _collect(self, channel: AgentChannel, pendings: list[tuple[str, Pending]]) -> int:
        """Wait for every answer; count what changed on the VM. A refused path is logged and
        skipped (sending it again would not help); any other failure fails the run."""
        channel.wait([pending for _, pending in pendings])
        changed = 0
        for path, pending in pendings:
            if pending.refused:
                log.warning("the VM's sync agent refused %s: %s", path, pending.error)
                self.refused.add(path)
            elif pending.error:
                raise RunFailed(f"{path}: {pending.error}", offline=False)
            elif pending.header and pending.header.get("changed"):
                changed += 1
        if changed:
            with self._cond:
                self._changes_synced += changed
        return changed

    # -- whole-tree reconcile -------------------------------------------------------------------

    def _manifest(self, channel: AgentChannel, **request: Any) -> dict[str, Entry]:
        pending = channel.request({"op": "manifest", **request})
        channel.wait([pending])
        if pending.error or pending.header is None:
            raise RunFailed(f"listing the VM's folder failed: {pending.error}", offline=False)
        return {
            row[0]: Entry(row[1], row[2], row[3], row[4], row[5])
            for row in pending.header["entries"]
        }

    def _skipped_on_vm(self) -> list[str]:
        """Top-level paths the manifest leaves out: never pushed, never deleted."""
        return [".git"] * (not self.project.sync_git) + list(self._pull)

    def _reconcile(self, channel: AgentChannel) -> None:
        remote = self._manifest(channel, skip=self._skipped_on_vm())
        local: dict[str, Entry] = {}
        for path in self._scope_files():
            entry = local_entry(self.root / path)
            if entry is None:
                continue  # tracked but deleted in the working tree
            local[path] = entry
            parts = path.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in local:
                    local[folder] = local_entry(self.root / folder) or Entry("d", mode=0o755)
        self._known = set(local)
        deletes, sends, to_hash = self._differences(local, remote)
        if to_hash:
            sends += self._differing_content(channel, to_hash, local)
        pendings = [(p, channel.request({"op": "delete", "path": p})) for p in deletes]
        # Many new files (a first sync): one rsync run creates them faster than the agent
        # (measured); overwrites stay with the agent, which is faster at those. Regular files
        # only: symlinks go to the agent, which refuses those pointing out.
        new = {path for path in sends if local[path].kind == "f" and path not in remote}
        if len(new) >= BULK_FILES and self._bulk_rsync:
            self._collect(channel, pendings)  # deletions first, as the agent would
            pendings = []
            if self._rsync_files(sorted(new)):
                sends = [path for path in sends if path not in new]
        for path in sorted(sends):
            pendings += self._send(channel, path, local[path])
        self._collect(channel, pendings)

    def _scope_files(self) -> list[str]:
        """Every file (and symlink) in the push scope, git's ignore rules read afresh."""
        with asking_git():
            self._push_scope.refresh()
            files = [path for path in self._push_scope.files() if not self._left_out(path)]
        return sorted(files + self._git_folder()) if self.project.sync_git else sorted(files)

    def _git_folder(self) -> list[str]:
        """`.git`'s files and symlinks (with `sync_git`; git never lists its own folder)."""
        found = []
        for folder, dirs, files in os.walk(self.root / ".git"):
            rel = Path(folder).relative_to(self.root).as_posix()
            found += [f"{rel}/{name}" for name in files]
            found += [f"{rel}/{name}" for name in dirs if os.path.islink(Path(folder, name))]
        return found

    def _out_of_scope(self, paths: list[str]) -> set[str]:
        """Those of `paths` the push scope leaves out (whether or not they exist here)."""
        out = {path for path in paths if self._left_out(path)}
        inside_git = {p for p in paths if p == ".git" or p.startswith(".git/")}
        asked = sorted(set(paths) - out - inside_git)  # `.git` (with sync_git) is in scope
        with asking_git():
            return out | (set(asked) - self._push_scope.in_scope(asked))

    def _rsync_files(self, files: list[str]) -> bool:
        """Create many files with one rsync run where rsync is at hand (faster for a first
        sync, see benchmarks/README.md); False if the VM has no rsync."""
        with tempfile.NamedTemporaryFile(
            "wb", prefix="devtray-files-", suffix=".list", delete=False
        ) as handle:
            handle.write(b"".join(os.fsencode(path) + b"\0" for path in sorted(files)))
        try:
            self._counted_run(
                [
                    "-rlpt",
                    "--ignore-times",  # every listed file is new or differs
                    "--whole-file",  # as the agent sends them; no checksum pass over both copies
                    "--from0",
                    f"--files-from={handle.name}",
                    *trash.backup_args(datetime.now()),
                    f"{self.root}/",
                    self.target.remote_spec(),
                ]
            )
        except RunFailed as failure:
            if failure.offline or self._stop_event.is_set():
                raise
            log.warning("bulk rsync failed (%s); the agent sends the files itself", failure)
            self._bulk_rsync = False
            return False
        finally:
            os.unlink(handle.name)
        return True

    def _differences(
        self, local: dict[str, Entry], remote: dict[str, Entry]
    ) -> tuple[list[str], list[str], list[str]]:
        """(VM paths to delete, paths to send, files whose content must be compared)."""
        deletes, sends, to_hash = [], [], []
        for path, mine in local.items():
            theirs = remote.get(path)
            if theirs is None:
                sends.append(path)
            elif theirs.kind != mine.kind:
                deletes.append(path)
                sends.append(path)
            elif (mine.kind == "l" and theirs.target != mine.target) or (
                mine.kind == "d" and theirs.mode != mine.mode
            ):
                sends.append(path)
            elif mine.kind == "f":
                if theirs.size != mine.size:
                    sends.append(path)
                elif mine.size < HASH_MIN and theirs.mtime_ns != mine.mtime_ns:
                    sends.append(path)  # cheaper to send than to compare
                elif theirs.mtime_ns != mine.mtime_ns or theirs.mode != mine.mode:
                    to_hash.append(path)
        only_remote = [path for path in remote if path not in local]
        kept = self._out_of_scope(only_remote)
        # A folder holding something ignored (the VM's own build output) stays, as with rsync.
        for path in list(kept):
            parts = path.split("/")
            kept.update("/".join(parts[:depth]) for depth in range(1, len(parts)))
        doomed = sorted(path for path in only_remote if path not in kept)
        doomed_set = set(doomed)
        for path in doomed:  # the topmost only: the agent deletes a folder with what is in it
            if path.rpartition("/")[0] not in doomed_set:
                deletes.append(path)
        return sorted(deletes, key=lambda p: (-p.count("/"), p)), sends, to_hash

    def _differing_content(
        self, channel: AgentChannel, paths: list[str], local: dict[str, Entry]
    ) -> list[str]:
        """Of files alike in size, those whose bytes differ; the rest only get the laptop's
        modification time and mode (so the next reconcile skips them)."""
        pending = channel.request({"op": "hash", "paths": paths})
        channel.wait([pending])
        hashes = pending.header.get("hashes", {}) if pending.header else {}
        differing, touches = [], []
        for path in paths:
            if hashes.get(path) is None or hashes[path] != _sha256(self.root / path):
                differing.append(path)
            else:
                entry = local[path]
                request = {"op": "touch", "path": path, "mode": entry.mode}
                touches.append((path, channel.request({**request, "mtime_ns": entry.mtime_ns})))
        self._collect(channel, touches)
        return differing

    # -- pull folders -------------------------------------------------------------------------

    def _pull_back(self) -> int:
        """Copy new or changed files of the pull folders from the VM (nothing local is
        deleted); how many paths came."""
        self._next_pull = time.monotonic() + self.tuning.pull_interval
        channel = self._live()
        remote = self._manifest(channel, under=list(self._pull))
        came = 0
        reads: list[tuple[str, Pending]] = []
        for path, theirs in sorted(remote.items()):
            target = self.root / path
            mine = local_entry(target)
            if not self._safe_local(path):
                continue
            if theirs.kind == "d" and mine is None:
                target.mkdir(parents=True, exist_ok=True)
                came += 1
            elif theirs.kind == "l" and (mine is None or mine.target != theirs.target):
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
                target.symlink_to(theirs.target or "")
                came += 1
            elif theirs.kind == "f" and (
                mine is None or (mine.size, mine.mtime_ns) != (theirs.size, theirs.mtime_ns)
            ):
                reads.append((path, channel.request({"op": "read", "path": path})))
        channel.wait([pending for _, pending in reads])
        for path, pending in reads:
            if pending.error or pending.header is None:
                log.info("pulling %s failed: %s", path, pending.error)
                continue
            self._write_pulled(path, pending)
            came += 1
        if came:
            with self._cond:
                self._changes_synced += came
        return came

    def _safe_local(self, path: str) -> bool:
        """False for a pulled path that would land outside the project or through a link."""
        parts = path.split("/")
        if any(part in ("", ".", "..") for part in parts):
            return False
        # A pull folder that is a symlink here (results -> /big/disk) is the user's own: it is
        # filled where it points, as the built-in engine does. No other link is followed.
        linked = -1
        for folder in self._pull:
            if path.startswith(folder + "/"):
                linked = folder.count("/")
        current = self.root
        for index, part in enumerate(parts[:-1]):
            current = current / part
            if current.is_symlink() and index != linked:
                return False
        return True

    def _write_pulled(self, path: str, pending: Pending) -> None:
        assert pending.header is not None
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.devtray-pull")
        temp.write_bytes(b"".join(pending.chunks))
        os.chmod(temp, int(pending.header["mode"]) & 0o7777)
        mtime = int(pending.header["mtime_ns"])
        os.utime(temp, ns=(mtime, mtime))
        os.replace(temp, target)
