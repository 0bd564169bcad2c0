"""My projects: the `[[projects]]` of the config (and the older `[connect] project`), each read
with its `.devtray.toml`; adding one; the first-run "Set up your day" form's checks and writes.

Reads the disk: call it on a worker (the tray) or the CLI's thread, never as the menu opens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from desktop.core.config import Config, ProjectEntry, add_project
from desktop.core.errors import BadConfig, DevtrayError
from desktop.core.project import IDES, PROJECT_FILE, Project, load_project

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProjectList:
    """The projects that could be read, and why the others could not (for the log and rows)."""

    projects: tuple[Project, ...] = ()
    broken: tuple[tuple[str, str], ...] = ()  # (folder, why)


def _entries(config: Config) -> list[ProjectEntry]:
    entries = list(config.projects)
    legacy = config.connect.project
    if legacy and all(Path(e.folder).expanduser() != Path(legacy).expanduser() for e in entries):
        entries.append(ProjectEntry(folder=legacy))
    return entries


def list_projects(config: Config) -> ProjectList:
    """Every project of the config, its entry's `vm` and `ide` over its `.devtray.toml`'s."""
    projects: list[Project] = []
    broken: list[tuple[str, str]] = []
    for entry in _entries(config):
        try:
            project = load_project(Path(entry.folder).expanduser())
        except DevtrayError as exc:
            log.warning("project %s skipped: %s", entry.folder, exc)
            broken.append((entry.folder, str(exc)))
            continue
        projects.append(
            replace(
                project,
                vm=entry.vm or project.vm,
                ide=entry.ide or project.ide,
                remote_path=entry.remote_path or project.remote_path,
            )
        )
    return ProjectList(tuple(projects), tuple(broken))


def remember_project(
    config_path: Path,
    folder: Path,
    vm: str | None = None,
    ide: str | None = None,
    remote_path: str | None = None,
) -> Project:
    """Add `folder` to `[[projects]]` (checked to be a readable project first); the project."""
    project = load_project(folder)
    entry = ProjectEntry(str(project.root), vm=vm, ide=ide, remote_path=remote_path)
    add_project(config_path, entry)
    return replace(
        project,
        vm=vm or project.vm,
        ide=ide or project.ide,
        remote_path=remote_path or project.remote_path,
    )


def check_remote_folder(text: str) -> str | None:
    """Why `text` cannot be a project's folder on the VM, or None when it can.

    A push with `--delete` replaces the folder's content: never the home itself, the root, or
    a path that climbs out with `..`."""
    value = text.strip()
    if not value:
        return "Name the folder on the VM, e.g. ~/src/app."
    if value in ("~", "~/", "/") or PurePosixPath(value) == PurePosixPath("/"):
        return f"{value} is a whole home or disk; name a folder inside it, e.g. ~/src/app."
    if ".." in PurePosixPath(value).parts:
        return f"{value} climbs out with '..'; name the folder directly."
    if not (value.startswith("~/") or value.startswith("/")):
        return f"{value} must start with ~/ or /."
    if any(ord(c) < 32 for c in value):
        return "The folder name holds control characters."
    return None


@dataclass(frozen=True)
class DaySetup:
    """What "Set up your day" asks: which VM, which folder, which IDE, where on the VM."""

    folder: Path
    vm: str
    ide: str
    remote_path: str
    write_project_file: bool  # the user agreed to write .devtray.toml into the folder

    def problems(self) -> list[str]:
        """What is wrong with the answers (empty when they can be saved)."""
        found = []
        if not self.folder.is_dir():
            found.append(f"{self.folder} is not a folder.")
        if not self.vm.strip():
            found.append("Pick the VM the project runs on.")
        if self.ide not in IDES:
            found.append(f"Pick an IDE: {', '.join(IDES)}.")
        remote = check_remote_folder(self.remote_path)
        if remote:
            found.append(remote)
        return found


def save_day_setup(config_path: Path, setup: DaySetup) -> Project:
    """Remember the project; write its `.devtray.toml` only when the user agreed and there is
    none yet (the file is the team's, checked into their repository: never overwritten)."""
    problems = setup.problems()
    if problems:
        raise BadConfig(problems[0], hint="Correct it and save again.")
    path = setup.folder / PROJECT_FILE
    if setup.write_project_file and not path.exists():
        from desktop.core.files import atomic_write

        text = (
            f"vm = {_toml_string(setup.vm)}\n"
            f"remote_path = {_toml_string(setup.remote_path.strip())}\n"
            f"ide = {_toml_string(setup.ide)}\n"
        )
        atomic_write(path, text.encode("utf-8"), mode=0o644, backup=False)
    # Without the file, the config remembers where the project lives on the VM.
    remote = None if path.exists() else setup.remote_path.strip()
    return remember_project(config_path, setup.folder, setup.vm, setup.ide, remote)


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
