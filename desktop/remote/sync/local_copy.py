"""The simulated demo VM's sync: the project mirrored into a folder on this computer.

Where the demo VM cannot be reached over SSH (no OpenSSH server, client, or rsync here), its
disk is still a folder, and this engine keeps the project there with the rules of the real
ones: the push scope is git's (`scope.PushScope`) minus devtray's folder, `.git`, the pull
folders and `ignore` (`rules.LeftOut`); a file the VM holds that is out of scope is never
touched; everything overwritten or deleted goes to the same trash (`trash.backup_path`), and
nothing is written before the owned-folder check passed (`ownership.claim_local`).

Every run reconciles the whole tree by size and modification time (cheap on a local disk),
comparing content for the paths the watcher reported, since an edit within one timestamp tick
at the same size would pass the quick check.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from desktop.core.project import Project
from desktop.core.sync_state import SyncPhase, SyncStatus
from desktop.remote.sync import ownership, rules, scope, trash
from desktop.remote.sync.builtin import Tuning  # the same knobs as the built-in engine
from desktop.remote.sync.engine_core import EngineCore, watched_batches

log = logging.getLogger(__name__)

ENGINE_NAME = "local copy"
CHUNK = 1 << 20
DEFAULT_TUNING = Tuning()


class LocalCopyEngine(EngineCore):
    """Watcher + local mirror into `dest`; see the module docstring."""

    name = ENGINE_NAME

    def __init__(
        self, project: Project, dest: Path, *, adopt: bool = False, tuning: Tuning = DEFAULT_TUNING
    ) -> None:
        self.project = project
        self.root = project.root
        self.dest = dest
        self.tuning = tuning
        self._adopt = adopt
        self._scope = scope.PushScope(self.root, shutil.which("git"))
        self._left_out = rules.LeftOut(project)
        self._pull = rules.pull_folders(project)
        super().__init__(tuning.step_ms)
        # Guarded by _cond.
        self._owed = True  # a whole-tree run (every run is one; this says one is due)
        self._backoff = tuning.retry_min
        self._next_pull = 0.0
        self._next_prune = 0.0

    # -- the SyncEngine interface -------------------------------------------------------------

    def start(self) -> None:
        """Check the folder is devtray's (NotOwned if not), then watch and mirror."""
        self._publish(phase=SyncPhase.STARTING)
        claim = ownership.claim_local(self.dest, self.project.name, adopt=self._adopt)
        if claim.moved:
            log.warning(
                "adopted %s: moved %d entries to %s", claim.folder, len(claim.moved), claim.trash
            )
        self._start_threads("copy")

    def stop(self) -> None:
        """Stop watching and copying; returns when both threads ended."""
        self._stop_threads()
        self._publish(phase=SyncPhase.STOPPED, syncing_files=0)

    def resume(self) -> SyncStatus:
        """Copy what changed while paused and carry on."""
        with self._cond:
            self._paused, self._owed, self._retry_at = False, True, 0.0
            self._cond.notify_all()
        return self.status()

    def on_wake(self, seconds: float) -> None:
        """After a sleep: reconcile now."""
        with self._cond:
            self._owed, self._retry_at = True, 0.0
            self._cond.notify_all()

    # -- the watcher --------------------------------------------------------------------------

    def _watch(self) -> None:
        tuning = self.tuning
        try:
            for batch in watched_batches(
                self.root, tuning.step_ms, tuning.debounce_ms, self._stop_event
            ):
                paths = rules.relative_paths(self.root, [path for _change, path in batch])
                with self._cond:
                    self._changes.update(p for p in paths if not self._left_out(p))
                    self._cond.notify_all()
                self._publish()
        except Exception as exc:
            if self._stop_event.is_set():
                return
            log.exception("file watcher stopped")
            with self._cond:
                self._watch_failure = f"watching {self.root} failed: {exc}"
            self._publish(phase=SyncPhase.ERROR, reason=self._watch_failure)

    # -- the worker ---------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                if not self._wait_for_work():
                    return
                forced, self._changes = self._changes, set()
                self._owed = False
                generation = self._flush_wanted
                pull_first = self._pull_first_wanted > self._flushed
            self._publish(phase=SyncPhase.SYNCING, syncing_files=len(forced))
            try:
                if pull_first or (self._pull and time.monotonic() >= self._next_pull):
                    self._pull_back()
                changed = self._mirror(forced)
                self._prune()
            except OSError as exc:
                log.info("local copy failed: %s", exc)
                with self._cond:
                    self._changes |= forced
                    self._owed = True
                    self._retry_at = time.monotonic() + self._backoff
                    self._backoff = min(self._backoff * 2, self.tuning.retry_max)
                self._publish(phase=SyncPhase.ERROR, syncing_files=0, reason=str(exc))
                continue
            with self._cond:
                self._changes_synced += changed
                self._flushed = max(self._flushed, generation)
                self._backoff = self.tuning.retry_min
                self._cond.notify_all()
            self._publish(
                phase=SyncPhase.WATCHING,
                syncing_files=0,
                last_synced_at=datetime.now(UTC),
                reason=None,
            )

    def _wait_for_work(self) -> bool:
        """Under the lock: block until there is something to do; False when stopping."""
        while not self._stopping:
            now = time.monotonic()
            if self._paused:
                self._cond.wait()
            elif now < self._retry_at:
                self._cond.wait(self._retry_at - now)
            elif self._changes or self._owed or self._flush_wanted > self._flushed:
                return True
            elif self._pull and now >= self._next_pull:
                return True  # time to bring the pull folders home
            else:
                self._cond.wait(self._next_pull - now if self._pull else None)
        return False

    # -- copying ------------------------------------------------------------------------------

    def _mirror(self, forced: set[str]) -> int:
        """Make `dest` hold the push scope; returns how many paths it created, updated or
        deleted (`changes_synced`)."""
        self._scope.refresh()
        wanted = {rel for rel in self._scope.files() if not self._left_out(rel)}
        now = datetime.now()
        changed = 0
        for rel in sorted(wanted):
            source, copy = self.root / rel, self.dest / rel
            if not os.path.lexists(source) or _same(source, copy, compare=rel in forced):
                continue
            self._make_way(rel, now)
            staged = _staged(source, copy)
            if os.path.lexists(copy):
                self._keep(rel, now)
            os.replace(staged, copy)  # the VM's web app never sees the file missing
            changed += 1
        held = list(self._held())
        gone = [rel for rel in held if rel not in wanted]
        for rel in sorted(self._scope.in_scope(gone)):  # out of scope on the VM: not ours
            self._to_trash(rel, now)
            changed += 1
        self._drop_empty_folders()
        return changed

    def _held(self) -> Iterator[str]:
        """The copy's files and links (not devtray's folder, `.git` or the pull folders)."""
        for dirpath, dirnames, filenames in os.walk(self.dest):
            rel_dir = Path(dirpath).relative_to(self.dest).as_posix()
            prefix = "" if rel_dir == "." else rel_dir + "/"
            links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            dirnames[:] = [d for d in dirnames if d not in links and not self._left_out(prefix + d)]
            for name in (*filenames, *links):
                if not self._left_out(prefix + name):
                    yield prefix + name

    def _make_way(self, rel: str, now: datetime) -> None:
        """Before `rel` is written: a file where one of its folders goes, or a folder where
        it goes, moves to the trash."""
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            above = "/".join(parts[:depth])
            path = self.dest / above
            if os.path.lexists(path) and (path.is_symlink() or not path.is_dir()):
                self._to_trash(above, now)
        path = self.dest / rel
        if path.is_dir() and not path.is_symlink():
            self._to_trash(rel, now)

    def _to_trash(self, rel: str, now: datetime) -> None:
        """Move `rel` into the trash (a deletion)."""
        os.replace(self.dest / rel, self._trash_path(rel, now))

    def _keep(self, rel: str, now: datetime) -> None:
        """Keep the copy of `rel` about to be overwritten in the trash (a second name for the
        same file where the disk allows, so it stays in place until it is replaced)."""
        kept = self._trash_path(rel, now)
        try:
            os.link(self.dest / rel, kept, follow_symlinks=False)
        except OSError:
            shutil.copy2(self.dest / rel, kept, follow_symlinks=False)

    def _trash_path(self, rel: str, now: datetime) -> Path:
        kept = self.dest / trash.backup_path(rel, now)
        kept.parent.mkdir(parents=True, exist_ok=True)
        return kept

    def _drop_empty_folders(self) -> None:
        """Folders the project no longer has, left empty by the moves to the trash."""
        for dirpath, _dirnames, _filenames in os.walk(self.dest, topdown=False):
            folder = Path(dirpath)
            rel = folder.relative_to(self.dest).as_posix()
            if rel == "." or self._left_out(rel) or (self.root / rel).is_dir():
                continue
            with contextlib.suppress(OSError):  # not empty: the VM's own files stay
                folder.rmdir()

    def _pull_back(self) -> None:
        """Copy the pull folders' files from the copy home (nothing local is deleted)."""
        self._next_pull = time.monotonic() + self.tuning.pull_interval
        for folder in self._pull:
            source_root = self.dest / folder
            for dirpath, _dirnames, filenames in os.walk(source_root):
                for name in filenames:
                    source = Path(dirpath) / name
                    home = self.root / folder / source.relative_to(source_root)
                    if not _same(source, home, compare=False):
                        os.replace(_staged(source, home), home)

    def _prune(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + self.tuning.prune_interval
        folder = self.dest / rules.TRASH_DIR
        names = [entry.name for entry in folder.iterdir()] if folder.is_dir() else []
        for day in trash.expired(names, datetime.now().date(), self.project.sync.trash_days):
            shutil.rmtree(folder / day, ignore_errors=True)


def _same(source: Path, copy: Path, *, compare: bool) -> bool:
    """True when `copy` already is `source` (a link to the same place; a file of the same
    size, mode and time, or content when `compare`)."""
    try:
        held = copy.lstat()
        have = source.lstat()
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(have.st_mode):
        return stat.S_ISLNK(held.st_mode) and os.readlink(source) == os.readlink(copy)
    if not stat.S_ISREG(held.st_mode) or held.st_size != have.st_size:
        return False
    if stat.S_IMODE(held.st_mode) != stat.S_IMODE(have.st_mode):
        return False
    if compare:
        return _same_bytes(source, copy)
    return held.st_mtime_ns == have.st_mtime_ns


def _same_bytes(one: Path, other: Path) -> bool:
    # Not filecmp.cmp: it caches verdicts by size and time, the very thing that did not change.
    with one.open("rb") as first, other.open("rb") as second:
        while True:
            chunk = first.read(CHUNK)
            if chunk != second.read(CHUNK):
                return False
            if not chunk:
                return True


def _staged(source: Path, copy: Path) -> Path:
    """`source` (a link as a link) copied next to `copy` under a temporary name, for an
    `os.replace` that never leaves `copy` half-written."""
    copy.parent.mkdir(parents=True, exist_ok=True)
    temporary = copy.with_name(f".{copy.name}.devtray-copy")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    if source.is_symlink():
        os.symlink(os.readlink(source), temporary)
    else:
        shutil.copy2(source, temporary)
    return temporary
