"""The agent engine's push scope, asked of git: which local files go to the VM, and which
paths are ignored (so never pushed, and never deleted on the VM).

git speaks `.gitignore` exactly (negations, anchoring), which rsync filters do not. The
project's `ignore = [...]`, its pull folders and devtray's own folder are handed to git as an
extra exclude file. A folder that is not a git repository is read through a private, empty
repository (`--git-dir`), so its `.gitignore` files still count.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from desktop.core.project import Project
from desktop.remote.sync import rules
from desktop.remote.sync.rsync import RunFailed

GIT_TIMEOUT = 120.0


class LocalScope:
    """Asks git about one project's files (needs `git` on the laptop)."""

    def __init__(self, project: Project, git: str = "git") -> None:
        self.root = project.root
        self.sync_git = project.sync_git
        self._git = git
        self._private = Path(tempfile.mkdtemp(prefix="devtray-scope-"))
        excludes = [f"/{rules.VM_STATE_DIR}/", *project.ignore]
        excludes += [f"/{folder}/" for folder in rules.pull_folders(project)]
        self._excludes = self._private / "excludes"
        self._excludes.write_text("".join(line + "\n" for line in excludes), encoding="utf-8")
        self._repo_args: list[str] = []
        if not (self.root / ".git").exists():
            repo = self._private / "repo"
            self._run(["init", "-q", "--bare", str(repo)], cwd=self._private)
            self._repo_args = [f"--git-dir={repo}", f"--work-tree={self.root}"]

    def _run(self, args: list[str], stdin: bytes = b"", cwd: Path | None = None) -> bytes:
        argv = [self._git, "-c", f"core.excludesFile={self._excludes}", *self._repo_args, *args]
        try:
            done = subprocess.run(
                argv, input=stdin, capture_output=True, cwd=cwd or self.root, timeout=GIT_TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RunFailed(f"git could not list the project: {exc}", offline=False) from None
        # check-ignore exits 1 when nothing is ignored.
        if done.returncode not in (0, 1):
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RunFailed(f"git: {reason[-1] if reason else done.returncode}", offline=False)
        return done.stdout

    def files(self) -> list[str]:
        """Every file (and symlink) in the push scope, project-relative, posix style."""
        out = self._run(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        names = {name for name in out.decode("utf-8", "surrogateescape").split("\0") if name}
        if self.sync_git:
            names.update(self._git_folder())
        return sorted(name for name in names if not name.endswith("/"))

    def _git_folder(self) -> list[str]:
        found = []
        for folder, dirs, files in os.walk(self.root / ".git"):
            rel = Path(folder).relative_to(self.root).as_posix()
            found += [f"{rel}/{name}" for name in files]
            found += [f"{rel}/{name}" for name in dirs if os.path.islink(Path(folder, name))]
        return found

    def ignored(self, paths: list[str]) -> set[str]:
        """Those of `paths` that the scope leaves out (whether or not they exist)."""
        if not paths:
            return set()
        inside_git = {p for p in paths if p == ".git" or p.startswith(".git/")}
        asked = [p for p in paths if p not in inside_git]
        found: set[str] = set() if self.sync_git else inside_git
        if asked:
            stdin = "".join(p + "\0" for p in asked).encode("utf-8", "surrogateescape")
            out = self._run(["check-ignore", "-z", "--stdin"], stdin=stdin)
            found |= {n for n in out.decode("utf-8", "surrogateescape").split("\0") if n}
        return found

    def close(self) -> None:
        """Remove the private files."""
        shutil.rmtree(self._private, ignore_errors=True)
