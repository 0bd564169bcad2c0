"""The built-in engine: a native file watcher feeding batched rsync runs over shared SSH.

How a change travels: the watcher (watchfiles: inotify, FSEvents, ReadDirectoryChangesW)
reports paths; the worker takes everything reported so far as one batch and pushes exactly
those paths with `--ignore-times` (rsync's size+mtime quick check would miss a second edit
within the same tick at the same size). A burst (a branch switch, a pull) or a move of
`.git/HEAD` is not chased path by path: the worker waits for git to release its index lock
and reconciles the whole tree in one run, then force-sends the reported paths. Every push
keeps what it overwrites or deletes in the VM's trash. Any failed run leaves the engine owing
a whole-tree run, which is what repairs an rsync killed mid-way or a connection lost.

Pushes and pulls are itemized, and the paths they actually created, updated or deleted add up
in `SyncStatus.changes_synced` (the auto-stop's sync activity): a whole-tree run or a pull
that finds nothing to do adds nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime

from desktop.core.project import Project
from desktop.core.sync_state import SyncPhase, SyncStatus
from desktop.remote.supervisor import Supervisor
from desktop.remote.sync import ownership, rules, scope, trash
from desktop.remote.sync.daemon import DaemonRoute
from desktop.remote.sync.engine_core import EngineCore, watched_batches
from desktop.remote.sync.link import SharedConnection
from desktop.remote.sync.rsync import ITEMIZE, Rsync, RunFailed, changed_items
from desktop.remote.sync.target import SshTarget

log = logging.getLogger(__name__)

ENGINE_NAME = "builtin"
# `.git` entries whose change means the working tree was switched, pulled or reset.
_GIT_MOVES = frozenset({".git/HEAD", ".git/ORIG_HEAD", ".git/packed-refs", ".git/refs/stash"})
_GIT_REFS = ".git/refs/heads/"
RUN_HISTORY = 64
# How long a run waits for the shared connection before calling the VM offline.
CONNECT_WAIT = 5.0
FINE_GRANULARITY_NS = 20_000_000  # a coarse kernel clock tick, with room to spare
COARSE_GRANULARITY_NS = 2_000_000_000
# The watcher is restarted after a failure; this many failures within WATCH_STEADY seconds of
# each start in a row, and it is given up.
WATCH_RESTARTS = 5
WATCH_STEADY = 5.0
WATCH_RESTART_DELAY = 0.2


def _child_name(project: Project, role: str) -> str:
    """A supervised child's name (its log file's name): safe characters only."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", project.name)[:40]
    digest = hashlib.sha256(str(project.root).encode("utf-8")).hexdigest()[:8]
    return f"sync-{role}-{safe}-{digest}"


@contextlib.contextmanager
def _rules_file(text: str) -> Iterator[str]:
    """`text` in a temporary file for rsync to read (removed afterwards)."""
    with tempfile.NamedTemporaryFile(
        "w",
        prefix="devtray-rules-",
        suffix=".txt",
        encoding="utf-8",
        errors="surrogateescape",
        delete=False,
    ) as handle:
        handle.write(text)
    try:
        yield handle.name
    finally:
        os.unlink(handle.name)


@contextlib.contextmanager
def asking_git() -> Iterator[None]:
    """git failing to say what is in the push scope fails the run (it is retried later)."""
    try:
        yield
    except (OSError, subprocess.SubprocessError) as exc:
        raise RunFailed(f"cannot ask git what it ignores: {exc}", offline=False) from None


@dataclass(frozen=True)
class Tuning:
    """Timings and thresholds (the defaults suit people; tests shorten the slow ones)."""

    # watchfiles yields once nothing new arrived for `step_ms`, or after `debounce_ms` at most.
    step_ms: int = 20
    debounce_ms: int = 250
    burst_paths: int = 300
    retry_min: float = 0.5
    retry_max: float = 15.0
    probe_interval: float = 5.0
    pull_interval: float = 10.0
    git_lock_wait: float = 3.0
    trash_keep_days: int = trash.DEFAULT_KEEP_DAYS
    prune_interval: float = 6 * 3600.0
    use_daemon: bool = True


@dataclass(frozen=True)
class _Batch:
    changes: rules.ChangeSet
    whole_tree: bool
    checkout: bool
    flush_generation: int
    # Bring the pull folders home before pushing (a spot VM is about to go away).
    pull_first: bool = False


class BuiltinEngine(EngineCore):
    """Watcher + rsync over SSH; see the module docstring."""

    name = ENGINE_NAME

    def __init__(
        self,
        project: Project,
        target: SshTarget,
        *,
        supervisor: Supervisor,
        rsync_path: str = "rsync",
        tuning: Tuning = Tuning(),
        adopt: bool = False,
    ) -> None:
        self.project = project
        self._adopt = adopt
        self.root = project.root
        self.target = target
        self.tuning = tuning
        self._scope = rules.scope_filters(project)
        self._push_scope = scope.PushScope(self.root, shutil.which("git"))
        self._pull = rules.pull_folders(project)
        self._link = SharedConnection(target, supervisor, _child_name(project, "ssh"))
        self._rsync = Rsync(rsync_path, self._link)
        self._daemon = (
            DaemonRoute(self._link, target, supervisor, _child_name(project, "rsyncd"))
            if tuning.use_daemon
            else None
        )
        super().__init__(tuning.step_ms)
        # Everything below is guarded by _cond.
        self._added_dirs: set[str] = set()
        self._whole_tree_owed = True
        self._checkout = False
        self._backoff = tuning.retry_min
        self._next_probe = 0.0
        self._next_pull = 0.0
        self._next_prune = 0.0
        # Wall-clock windows of the latest push runs, for _at_risk (worker thread only).
        self._runs: deque[tuple[int, int]] = deque(maxlen=RUN_HISTORY)
        self._granularity: int | None = None
        # The owned-folder check (see ownership): nothing is sent before it passed.
        self._claim: ownership.Claim | None = None
        self._refused: ownership.NotOwned | None = None

    # -- the SyncEngine interface -------------------------------------------------------------

    def start(self) -> None:
        """Check the VM's folder is devtray's (NotOwned if not), then start the watcher and
        the worker; the first whole-tree sync begins at once. A VM that does not answer yet is
        checked by the worker before its first run."""
        self._publish(phase=SyncPhase.STARTING)
        try:
            self._own()
        except ownership.Unreachable as exc:
            log.info("folder check deferred until the VM answers: %s", exc)
        self._start_threads("sync")

    def stop(self) -> None:
        """Stop watching, end any rsync run and the shared connection; returns when all ended."""
        self._stop_threads(self._rsync.cancel)
        if self._daemon is not None:
            self._daemon.stop()
        self._link.close()
        self._publish(phase=SyncPhase.STOPPED, syncing_files=0)

    def resume(self) -> SyncStatus:
        """Push what changed while paused (the whole tree, to be sure) and carry on."""
        with self._cond:
            self._paused = False
            self._whole_tree_owed = True
            self._retry_at = 0.0
            self._cond.notify_all()
        return self.status()

    def on_wake(self, seconds: float) -> None:
        """After a sleep: retry now and reconcile the whole tree (the supervisor has already
        restarted the shared connection and the daemon)."""
        log.info("woke after %.0f s: reconciling the whole tree", seconds)
        with self._cond:
            self._whole_tree_owed = True
            self._retry_at = 0.0
            self._cond.notify_all()

    def _gave_up(self) -> bool:
        return self._refused is not None

    # -- the watcher --------------------------------------------------------------------------

    def _watch(self) -> None:
        """Run the watcher; restart it when it fails (a name it cannot decode, say), with a
        whole-tree run to cover what it missed. Gives up (status: error) only after
        WATCH_RESTARTS quick failures in a row or when the project folder is gone."""
        failures = 0
        while not self._stop_event.is_set():
            started = time.monotonic()
            try:
                self._watch_once()
                return  # stopped
            except Exception as exc:
                if self._stop_event.is_set():
                    return
                failures = 1 if time.monotonic() - started > WATCH_STEADY else failures + 1
                # watchfiles gives up on a file name that is not UTF-8; rsync syncs it fine.
                undecodable = "decode path" in str(exc)
                if not self.root.is_dir() or (failures > WATCH_RESTARTS and not undecodable):
                    log.exception("file watcher stopped")
                    with self._cond:
                        self._watch_failure = f"watching {self.root} failed: {exc}"
                    self._publish(phase=SyncPhase.ERROR, reason=self._watch_failure)
                    return
                log.warning("file watcher failed (%s); restarting it", exc)
                self._stop_event.wait(WATCH_RESTART_DELAY)
                with self._cond:
                    self._whole_tree_owed = True  # changes made while nothing watched
                    self._cond.notify_all()

    def _watch_once(self) -> None:
        tuning = self.tuning
        for batch in watched_batches(
            self.root, tuning.step_ms, tuning.debounce_ms, self._stop_event
        ):
            self._note_changes(batch)

    def _note_changes(self, batch: AbstractSet[tuple[object, str]]) -> None:
        import watchfiles

        with self._cond:
            for change, path in batch:
                for rel in rules.relative_paths(self.root, [path]):
                    self._note_path(rel, added=change == watchfiles.Change.added)
            self._cond.notify_all()
        self._publish()

    def _note_path(self, rel: str, *, added: bool) -> None:
        top = rel.split("/", 1)[0]
        if top == ".git":
            if self.project.sync_git:
                self._whole_tree_owed = True
            elif rel in _GIT_MOVES or rel.startswith(_GIT_REFS):
                self._checkout = True
            return
        if top == rules.VM_STATE_DIR or any(
            rel == folder or rel.startswith(folder + "/") for folder in self._pull
        ):
            return
        if rel.rsplit("/", 1)[-1] == ".gitignore":
            self._whole_tree_owed = True  # the push scope itself changed
        self._changes.add(rel)
        if added and (self.root / rel).is_dir():
            self._added_dirs.add(rel)

    # -- the worker ---------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                if not self._wait_for_work():
                    return
                has_work = self._has_work()
            if not has_work:
                self._maintain()
                continue
            self._wait_for_git()
            with self._cond:
                if self._stopping:
                    return
                batch = self._take_batch()
            self._publish(
                phase=SyncPhase.SYNCING,
                syncing_files=len(batch.changes.paths),
                checkout_files=len(batch.changes.paths) if batch.checkout else 0,
            )
            self._push(batch)

    def _has_work(self) -> bool:
        return bool(self._changes or self._whole_tree_owed or self._flush_wanted > self._flushed)

    def _wait_for_work(self) -> bool:
        """Under the lock: block until there is something to do; False when stopping (or
        when the VM's folder was refused: nothing may be sent there)."""
        while not self._stopping and self._refused is None:
            now = time.monotonic()
            if self._paused:
                self._cond.wait()
                continue
            if now < self._retry_at:
                self._cond.wait(self._retry_at - now)
                continue
            if self._has_work():
                return True
            due = min(self._next_probe, self._next_pull if self._pull else self._next_probe)
            if now >= due:
                return True
            self._cond.wait(due - now)
        return False

    def _wait_for_git(self) -> None:
        """A checkout in progress holds `.git/index.lock`: push the finished tree, not half."""
        lock = self.root / ".git" / "index.lock"
        deadline = time.monotonic() + self.tuning.git_lock_wait
        seen = self._checkout
        while lock.exists() and time.monotonic() < deadline and not self._stop_event.is_set():
            seen = True
            time.sleep(0.01)
        if seen:
            # The checkout's last files may still be in the watcher's hands; waiting a little
            # longer than flush() does also lets one run serve a flush that follows a checkout.
            time.sleep(self.tuning.step_ms * 4 / 1000)

    def _take_batch(self) -> _Batch:
        changes = rules.ChangeSet(frozenset(self._changes), frozenset(self._added_dirs))
        burst = len(changes.paths) > self.tuning.burst_paths
        batch = _Batch(
            changes=changes,
            whole_tree=(
                self._whole_tree_owed
                or burst
                or self._checkout
                or self._flush_wanted > self._flushed
            ),
            checkout=self._checkout or burst,
            flush_generation=self._flush_wanted,
            pull_first=self._pull_first_wanted > self._flushed,
        )
        self._changes.clear()
        self._added_dirs.clear()
        self._whole_tree_owed = False
        self._checkout = False
        return batch

    def _push(self, batch: _Batch) -> None:
        try:
            self._connect()
            pulled = bool(self._pull) and batch.pull_first
            if pulled:
                self._pull_back()
            if batch.whole_tree:
                self._push_whole_tree()
                # The quick check is exact except for files written during an earlier run's
                # read within one timestamp tick: only those are sent again, by content.
                self._push_changes(self._at_risk(batch.changes))
            elif not self._push_changes(batch.changes):
                self._push_whole_tree()
            now = time.monotonic()
            if self._pull and not pulled and (batch.whole_tree or now >= self._next_pull):
                self._pull_back()
            if now >= self._next_prune:
                trash.prune(self._run, self._remote, datetime.now().date(), self._keep_days())
                self._next_prune = now + self.tuning.prune_interval
        except RunFailed as failure:
            self._fail(batch, failure)
            return
        with self._cond:
            self._flushed = max(self._flushed, batch.flush_generation)
            self._backoff = self.tuning.retry_min
            self._next_probe = time.monotonic() + self.tuning.probe_interval
            self._cond.notify_all()
        self._publish(
            phase=SyncPhase.PAUSED if self._paused else SyncPhase.WATCHING,
            syncing_files=0,
            last_synced_at=datetime.now(UTC),
            reason=None,
        )

    def _fail(self, batch: _Batch, failure: RunFailed) -> None:
        if self._stop_event.is_set():
            return
        log.info("sync run failed (%s): %s", "offline" if failure.offline else "error", failure)
        with self._cond:
            # Nothing is forgotten: the batch comes back and the next run covers the whole tree.
            self._changes |= batch.changes.paths
            self._added_dirs |= batch.changes.added_dirs
            self._whole_tree_owed = True
            self._retry_at = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, self.tuning.retry_max)
        self._publish(
            phase=SyncPhase.OFFLINE if failure.offline else SyncPhase.ERROR,
            syncing_files=0,
            reason=failure.reason,
        )

    def _maintain(self) -> None:
        """Idle work: notice a dropped connection, bring pull folders back."""
        now = time.monotonic()
        try:
            if now >= self._next_probe:
                self._next_probe = now + self.tuning.probe_interval
                if not self._link.up:
                    self._connect()
                    with self._cond:
                        self._whole_tree_owed = True  # catch up on anything missed meanwhile
            if self._pull and now >= self._next_pull and self._pull_back():
                self._publish()  # a job on the VM wrote results: changes_synced moved
        except RunFailed as failure:
            self._fail(_Batch(rules.ChangeSet(frozenset()), True, False, 0), failure)

    def _connect(self) -> None:
        if not self._link.open(CONNECT_WAIT):
            raise RunFailed(f"cannot reach {self.target.host} over SSH", offline=True)
        if self._claim is not None:
            return
        try:
            self._own()
        except ownership.Unreachable as exc:
            raise RunFailed(str(exc), offline=True) from None
        except ownership.NotOwned as exc:
            with self._cond:
                self._refused = exc
                self._cond.notify_all()
            raise RunFailed(str(exc), offline=False) from None

    def _own(self) -> None:
        """Run the owned-folder check (raises NotOwned or Unreachable)."""
        claim = ownership.claim(
            self._link.ssh_argv(),
            self.target.host,
            self.target.remote_dir,
            self.project.name,
            adopt=self._adopt,
        )
        if claim.moved:
            log.warning(
                "adopted %s: moved %d entries to %s: %s",
                claim.folder,
                len(claim.moved),
                claim.trash,
                ", ".join(claim.moved),
            )
        self._claim = claim

    def _keep_days(self) -> int:
        return self.project.sync.trash_days

    # -- rsync runs ---------------------------------------------------------------------------

    def _base_args(self, first: tuple[str, ...] = ()) -> list[str]:
        """Options of every push; `first` are rules that go before the .gitignore files."""
        return [
            "-rlpt",
            # After the transfer, so the VM's copies of .gitignore (just updated) protect
            # ignored files there from deletion.
            "--delete-after",
            "--mkpath",
            # Compare modification times to the nanosecond, not the second.
            "--modify-window=-1",
            *trash.backup_args(datetime.now()),
            *self._scope,
            *first,
            rules.GITIGNORE_FILTER,
        ]

    @property
    def via_daemon(self) -> bool:
        """True while runs go to the VM's rsync daemon (no shell per change)."""
        return self._daemon is not None and self._daemon.ready

    def ssh_argv(self) -> list[str]:
        """ssh as the engine's runs use it (over the shared connection), without the host."""
        return self._link.ssh_argv()

    def _remote(self, subpath: str = "") -> str:
        """Where a run goes: the VM's rsync daemon when it answers, else rsync over ssh."""
        if self._daemon is not None and self.via_daemon:
            return self._daemon.url(subpath)
        return self.target.remote_spec(subpath)

    def _run(self, args: list[str]) -> str:
        return self._rsync.run(args, env=self._daemon.env if self._daemon else None)

    def _push_whole_tree(self) -> None:
        """Mirror the push scope: everything but what git ignores (asked afresh each time)."""
        self._push_scope.refresh()
        with asking_git():
            text = scope.scope_rules(self._push_scope.named_in_scope(), self._push_scope.ignored())
        with _rules_file(text) as merged:
            self._timed_run(
                [*self._base_args((f"--filter=merge {merged}",)), f"{self.root}/", self._remote()]
            )
        self._start_daemon()

    def _start_daemon(self) -> None:
        """After the first whole-tree push (the folder exists on the VM): start the daemon."""
        if self._daemon is None or self._daemon.started:
            return
        try:
            self._daemon.install(self._rsync)
        except RunFailed as failure:
            log.warning("no rsync daemon on the VM (%s); syncing over ssh", failure)
            self._daemon = None
            return
        self._daemon.start()

    def _timed_run(self, args: list[str]) -> None:
        started = time.time_ns()
        try:
            self._counted_run(args)
        finally:
            self._runs.append((started, time.time_ns()))

    def _counted_run(self, args: list[str]) -> int:
        """Run an itemized push or pull; add the paths it changed to `changes_synced`."""
        changed = changed_items(self._run([ITEMIZE, *args]))
        if changed:
            with self._cond:
                self._changes_synced += changed
        return changed

    def _at_risk(self, changes: rules.ChangeSet) -> rules.ChangeSet:
        """The changed paths whose modification time falls within a recent run (widened by
        the file system's timestamp granularity): the only ones the quick check can misjudge.
        """
        slack = self._granularity_ns()
        windows = [(start - slack, end + slack) for start, end in self._runs]
        risky = set()
        for path in changes.paths:
            try:
                mtime = (self.root / path).lstat().st_mtime_ns
            except OSError:
                continue  # deleted: the whole-tree run took care of it
            if any(low <= mtime <= high for low, high in windows):
                risky.add(path)
        return rules.ChangeSet(frozenset(risky), changes.added_dirs & risky)

    def _granularity_ns(self) -> int:
        """2 s on file systems that store whole seconds (FAT, HFS+), a clock tick elsewhere."""
        if self._granularity is None:
            # Not following links: a dangling one at the top would stop the worker.
            with os.scandir(self.root) as scan:
                stamps = [entry.stat(follow_symlinks=False).st_mtime_ns for entry in scan][:50]
            fine = any(stamp % 1_000_000_000 for stamp in stamps)
            self._granularity = FINE_GRANULARITY_NS if fine else COARSE_GRANULARITY_NS
        return self._granularity

    def _push_changes(self, changes: rules.ChangeSet) -> bool:
        """Push exactly `changes`; False if they cannot be expressed as rules."""
        if not changes.paths:
            return True
        with asking_git():
            changes = self._push_scope.narrow(changes)  # a change git ignores is not sent
        if not changes.paths:
            return True
        text = rules.change_rules(self.root, changes)
        if text is None:
            return False
        with _rules_file(text) as merged:
            self._timed_run(
                [
                    *self._base_args((f"--filter=merge {merged}",)),
                    "--ignore-times",
                    "--exclude=*",
                    f"{self.root}/",
                    self._remote(),
                ]
            )
        return True

    def _pull_back(self) -> int:
        """Copy the pull folders from the VM (nothing local is deleted); how many paths came."""
        self._next_pull = time.monotonic() + self.tuning.pull_interval
        common = ["-rlpt", "--ignore-missing-args"]
        # A pull folder that is a symlink on the laptop (results -> /big/disk) is filled where
        # it points: rsync (even with --keep-dirlinks, since 3.4) would replace the link.
        linked = [folder for folder in self._pull if (self.root / folder).is_symlink()]
        plain = [self._remote(f"./{folder}/") for folder in self._pull if folder not in linked]
        came = self._counted_run([*common, "--relative", *plain, f"{self.root}/"]) if plain else 0
        for folder in linked:
            into = (self.root / folder).resolve()
            if into.is_dir():
                came += self._counted_run([*common, self._remote(f"{folder}/"), f"{into}/"])
        return came
