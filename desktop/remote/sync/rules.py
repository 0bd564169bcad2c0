"""Which paths a push may touch: rsync filter rules from the project and from changed paths.

Push scope = the project minus what git ignores (see scope), `ignore = [...]`, `.git` (unless
`sync_git`), the pull folders and the remote trash. Excluded paths are also protected on the
VM: rsync never deletes what a rule excludes, so pull folders and the VM's own build outputs
(matched by the VM's .gitignore files) survive every push.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pathspec

from desktop.core.errors import BadConfig
from desktop.core.project import Project

# devtray's own folder inside the project on the VM: the trash and the rsync daemon's config.
# Excluded from every push, so never deleted by one; `.devtray/` is reserved in projects.
VM_STATE_DIR = ".devtray"
TRASH_DIR = f"{VM_STATE_DIR}/trash"
_WILDCARDS = frozenset("*?[")


def folder_rule(folder: str, what: str = "pull folder") -> str:
    """A project-relative folder as `name/inner` (no leading or trailing slash), checked."""
    cleaned = folder.replace("\\", "/").strip("/")
    parts = PurePosixPath(cleaned).parts
    if not parts or ".." in parts or any(c in cleaned for c in "\n\r"):
        raise BadConfig(
            f"{what} {folder!r} must be a folder inside the project",
            hint='Write it relative to the project, e.g. pull = ["results"].',
        )
    return "/".join(parts)


def pull_folders(project: Project) -> tuple[str, ...]:
    """The project's pull folders, normalised."""
    return tuple(folder_rule(folder) for folder in project.pull)


def scope_filters(project: Project) -> list[str]:
    """rsync arguments that keep devtray's own paths, `.git`, pull folders and `ignore`
    patterns out of every push (git's ignore rules come from scope)."""
    args = [f"--exclude=/{VM_STATE_DIR}/"]
    if not project.sync_git:
        args.append("--exclude=/.git/")
    # No trailing slash: a pull folder that is a symlink on the laptop is excluded too.
    args += [f"--exclude=/{escape(folder)}" for folder in pull_folders(project)]
    # `--exclude=!` would clear the whole list and `--exclude=+ x` include x: each pattern
    # goes in as the pattern of an explicit exclude rule, which rsync takes literally.
    args += [f"--filter=- {pattern}" for pattern in project.ignore]
    return args


class LeftOut:
    """`scope_filters` as a test of one path, for an engine that picks what it sends itself
    (the agent): devtray's folder, `.git` (unless `sync_git`), the pull folders and the
    `ignore` patterns (each an exclude pattern, as rsync reads it: a leading `!` or `#` is
    part of the name)."""

    def __init__(self, project: Project) -> None:
        self._root = project.root
        tops = [VM_STATE_DIR, *([] if project.sync_git else [".git"]), *pull_folders(project)]
        self._tops = tuple(tops)
        patterns = []
        for pattern in project.ignore:
            try:
                patterns.append(pathspec.GitIgnoreSpec.from_lines([_literal_start(pattern)]))
            except ValueError:  # pathspec's pattern error: a pattern that matches nothing
                continue
        self._ignore = patterns

    def __call__(self, rel: str) -> bool:
        """True when the project-relative, posix-style `rel` is kept out of every push."""
        if any(rel == top or rel.startswith(top + "/") for top in self._tops):
            return True
        full = self._root / rel
        name = rel + "/" if full.is_dir() and not full.is_symlink() else rel
        return any(spec.match_file(name) for spec in self._ignore)


def _literal_start(pattern: str) -> str:
    return "\\" + pattern if pattern.startswith(("!", "#")) else pattern


# Every .gitignore, read per directory as rsync walks the tree: on the VM it protects ignored
# files (build output, logs) from deletion. rsync does not read them as git does (negations,
# tracked files), so what git puts in scope is named before this rule (see scope).
GITIGNORE_FILTER = "--filter=:- .gitignore"


def escape(path: str) -> str:
    """`path` as an rsync pattern matching exactly that name."""
    if not _WILDCARDS.intersection(path):
        return path  # without wildcards rsync takes backslashes literally
    return "".join("\\" + ch if ch in _WILDCARDS or ch == "\\" else ch for ch in path)


@dataclass(frozen=True)
class ChangeSet:
    """Paths the watcher reported, relative to the project root, posix style."""

    paths: frozenset[str]
    added_dirs: frozenset[str] = frozenset()


def change_rules(root: Path, changes: ChangeSet) -> str | None:
    """Include rules that make a push touch exactly the changed paths, or None if some path
    cannot be written as a rule (a newline in a name: the caller reconciles the whole tree).

    Missing paths are matched as files and as folders, so deletions (and the old side of a
    rename) reach the VM; a new folder brings everything in it, since files created before the
    watcher saw the folder raise no event of their own.
    """
    rules: list[str] = []
    ancestors: set[str] = set()
    for path in sorted(changes.paths):
        if "\n" in path or "\r" in path:
            return None
        parts = path.split("/")
        for depth in range(1, len(parts)):
            ancestors.add("/".join(parts[:depth]))
        full = root / path
        name = "/" + escape(path)
        if not os.path.lexists(full):
            rules += [name, name + "/***"]
        elif full.is_dir() and not full.is_symlink():
            rules.append(name + ("/***" if path in changes.added_dirs else "/"))
        else:
            rules.append(name)
    lines = [f"+ /{escape(folder)}/" for folder in sorted(ancestors)] + [f"+ {r}" for r in rules]
    return "".join(line + "\n" for line in lines)


def relative_paths(root: Path, absolute: Iterable[str]) -> list[str]:
    """Watcher paths made project-relative and posix-style (paths outside the root dropped)."""
    result = []
    for item in absolute:
        try:
            rel = Path(item).relative_to(root)
        except ValueError:
            continue
        if rel.parts:
            result.append(rel.as_posix())
    return result
