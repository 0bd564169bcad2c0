"""The push scope by git's own rules: every file git would track or add, nothing it ignores.

`.gitignore` is git's language, not rsync's (negations such as `!keep.log`, anchoring), so it
is never translated into rsync filters for what is sent. In a git project git itself answers
(`git ls-files`, `git check-ignore`: tracked files are in scope even when a pattern matches
them); outside git, `pathspec`'s gitignore matcher reads the project's `.gitignore` files.
What comes out is data: a list of ignored paths a whole-tree push excludes one by one, and the
subset of changed paths an incremental push may send.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pathspec

from desktop.remote.sync.rules import ChangeSet, escape

GIT_TIMEOUT = 120.0
IGNORE_FILE = ".gitignore"


def _git_lines(
    root: Path, git: str, args: list[str], stdin: bytes | None = None, *, keep_empty: bool = False
) -> list[str]:
    result = subprocess.run(
        [git, "-C", str(root), args[0], "-z", *args[1:]],
        input=stdin,
        capture_output=True,
        timeout=GIT_TIMEOUT,
        check=False,
    )
    if result.returncode not in (0, 1):  # check-ignore exits 1 when nothing is ignored
        raise OSError(result.stderr.decode("utf-8", "replace").strip() or "git failed")
    items = result.stdout.split(b"\0")
    if keep_empty:
        return [os.fsdecode(item) for item in items[:-1]]  # -z ends every field with NUL
    return [os.fsdecode(item) for item in items if item]


class PushScope:
    """What a push may send from `root`; re-reads the ignore rules after `refresh()`."""

    def __init__(self, root: Path, git: str | None) -> None:
        self.root = root
        self._git_tool = git
        self._git: str | None = None
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}
        self.refresh()

    def refresh(self) -> None:
        """Look again whether the project is a git work tree (`git init` may have run since)
        and forget cached `.gitignore` files (they may have changed)."""
        self._git = self._git_tool if (self.root / ".git").exists() else None
        self._specs.clear()

    def ignored(self) -> list[str]:
        """Every path git ignores, relative, posix-style; an ignored folder once, with `/`."""
        if self._git is not None:
            return _git_lines(
                self.root,
                self._git,
                ["ls-files", "--others", "--ignored", "--exclude-standard", "--directory"],
            )
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            prefix = "" if rel_dir == "." else rel_dir + "/"
            for name in list(dirnames):
                if self._matches(prefix + name, is_dir=True):
                    found.append(prefix + name + "/")
                    dirnames.remove(name)  # git never looks inside an ignored folder
            found += [prefix + n for n in filenames if self._matches(prefix + n, is_dir=False)]
        return found

    def named_in_scope(self) -> list[str]:
        """In-scope files that an ignore pattern names all the same (`!keep.log`, a tracked
        `forced.log` under `*.log`): the ones rsync's own reading of .gitignore would drop."""
        if self._git is not None:
            listed = b"".join(
                os.fsencode(path) + b"\0"
                for path in _git_lines(
                    self.root, self._git, ["ls-files", "--cached", "--others", "--exclude-standard"]
                )
            )
            # -v -n: one record per path (source, line, pattern, path); no source = no pattern.
            fields = _git_lines(
                self.root,
                self._git,
                ["check-ignore", "--no-index", "--verbose", "--non-matching", "--stdin"],
                listed,
                keep_empty=True,
            )
            records = zip(fields[0::4], fields[3::4], strict=False)
            return [path for source, path in records if source]
        named = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            prefix = "" if rel_dir == "." else rel_dir + "/"
            dirnames[:] = [d for d in dirnames if not self._matches(prefix + d, is_dir=True)]
            for name in filenames:
                if not self._matches(prefix + name) and self._named(prefix + name):
                    named.append(prefix + name)
        return named

    def narrow(self, changes: ChangeSet) -> ChangeSet:
        """The changed paths that are in scope; a new folder becomes the in-scope files in
        it (so ignored files inside never ride along with the folder)."""
        kept = self.in_scope(sorted(changes.paths))
        paths = set(kept)
        for folder in changes.added_dirs & kept:
            paths.update(self._files_under(folder))
        return ChangeSet(frozenset(paths))

    def files(self) -> list[str]:
        """Every file (and symlink) in scope: tracked, or untracked and not ignored."""
        return self._files_under("")

    def in_scope(self, paths: list[str]) -> set[str]:
        """Those of `paths` (relative, posix-style, existing or not) that are in scope."""
        if not paths:
            return set()
        if self._git is not None:
            data = b"".join(os.fsencode(path) + b"\0" for path in paths)
            ignored = set(_git_lines(self.root, self._git, ["check-ignore", "--stdin"], data))
            return {path for path in paths if path not in ignored}
        return {path for path in paths if not self._ignored(path)}

    def _files_under(self, folder: str) -> list[str]:
        """The in-scope files under `folder` ("": the whole project)."""
        if self._git is not None:
            args = ["ls-files", "--cached", "--others", "--exclude-standard", "--", folder or "."]
            return _git_lines(self.root, self._git, args)
        files = []
        for dirpath, dirnames, filenames in os.walk(self.root / folder):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            prefix = "" if rel_dir == "." else rel_dir + "/"
            # A symlink to a folder is a file to git (os.walk lists it among the folders).
            links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            dirnames[:] = [
                d for d in dirnames if d not in links and not self._matches(prefix + d, True)
            ]
            files += [prefix + n for n in [*filenames, *links] if not self._matches(prefix + n)]
        return files

    # -- outside git: the project's .gitignore files, read with pathspec ----------------------

    def _ignored(self, rel: str) -> bool:
        """True when `rel` or a folder above it is ignored."""
        parts = rel.split("/")
        ancestors = ("/".join(parts[:depth]) for depth in range(1, len(parts)))
        if any(self._matches(folder, is_dir=True) for folder in ancestors):
            return True
        return self._matches(rel, is_dir=(self.root / rel).is_dir())

    def _named(self, rel: str) -> bool:
        """True when some pattern (a negation included) matches the file `rel`."""
        parts = rel.split("/")
        for depth in range(len(parts)):
            spec = self._spec("/".join(parts[:depth]))
            if spec is not None and spec.check_file("/".join(parts[depth:])).include is not None:
                return True
        return False

    def _matches(self, rel: str, is_dir: bool = False) -> bool:
        """The verdict of the deepest `.gitignore` (on the way to `rel`) that has one."""
        parts = rel.split("/")
        verdict = False
        for depth in range(len(parts)):
            spec = self._spec("/".join(parts[:depth]))
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            include = spec.check_file(sub).include
            if include is not None:
                verdict = include
        return verdict

    def _spec(self, folder: str) -> pathspec.GitIgnoreSpec | None:
        if folder not in self._specs:
            try:
                text = (self.root / folder / IGNORE_FILE).read_text("utf-8", "replace")
            except OSError:
                self._specs[folder] = None
            else:
                self._specs[folder] = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
        return self._specs[folder]


def scope_rules(named: Iterable[str], ignored: Iterable[str]) -> str:
    """rsync rules for a whole-tree push, placed before rsync reads the .gitignore files:
    include what git keeps although a pattern names it (with its folders), exclude exactly
    what git ignores. Names rsync cannot read (a newline) are left out."""
    readable = [path for path in named if "\n" not in path and "\r" not in path]
    folders = sorted({path.rsplit("/", 1)[0] for path in readable if "/" in path})
    ancestors = sorted(
        {"/".join(f.split("/")[:depth]) for f in folders for depth in range(1, f.count("/") + 2)}
    )
    lines = [f"+ /{escape(folder)}/" for folder in ancestors]
    lines += [f"+ /{escape(path)}" for path in readable]
    lines += [f"- /{escape(p)}" for p in ignored if "\n" not in p and "\r" not in p]
    return "".join(line + "\n" for line in lines)
