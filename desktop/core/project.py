"""`.devtray.toml`: a project's shared setup, checked into the team's repository.

```toml
vm = "devbox"                      # which of my VMs (optional with one VM)
remote_path = "~/src/app"          # where the project lives on the VM
ports = ["8000", "5432:db.internal:5432"]
ide = "pycharm"                    # vscode | pycharm | gateway
pull = ["results", "notebooks"]    # folders produced on the VM, copied back, never pushed
ignore = ["*.pyc", "node_modules/"]
sync_git = false                   # sync the .git folder too
[sync]
engine = "auto"                    # auto | builtin | agent | mutagen
mode = "one-way-replica"           # or two-way-resolved (Mutagen)
trash_days = 7                     # keep files a push replaced on the VM this long
```
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.core.errors import BadConfig

PROJECT_FILE = ".devtray.toml"
IDES = ("vscode", "pycharm", "gateway")
SYNC_ENGINES = ("auto", "builtin", "agent", "mutagen")
SYNC_MODES = ("one-way-replica", "two-way-resolved")

_TOP_KEYS = ("vm", "remote_path", "ports", "ide", "pull", "ignore", "sync_git", "sync")
_SYNC_KEYS = ("engine", "mode", "trash_days")


@dataclass(frozen=True)
class SyncSettings:
    """The `[sync]` table."""

    engine: str = "auto"
    mode: str = "one-way-replica"
    trash_days: int = 7


@dataclass(frozen=True)
class Project:
    """A project folder and its `.devtray.toml` (all defaults when the file is absent)."""

    root: Path
    vm: str | None = None
    remote_path: str | None = None
    ports: tuple[str, ...] = ()
    ide: str | None = None
    pull: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    sync_git: bool = False
    sync: SyncSettings = SyncSettings()

    @property
    def name(self) -> str:
        """The folder's name."""
        return self.root.name

    def remote_dir(self) -> str:
        """Where the project lives on the VM (default `~/<folder name>`)."""
        return self.remote_path or f"~/{self.name}"


REMOTE_PATH_HINT = 'Use a folder of its own on the VM, e.g. remote_path = "~/src/app".'


def remote_path_problem(value: str) -> str | None:
    """Why `value` cannot be a project folder on any VM (None when it can).

    Sync mirrors the project into that folder, deleting what the project lacks: the home, `/`
    and paths that climb out with `..` would take the VM user's files with them.
    """
    text = value.strip()
    if not text or any(c in text for c in "\n\r\0"):
        return "must name a folder"
    if text.startswith("~") and text != "~" and not text.startswith("~/"):
        return "may start with ~/ but not ~user"
    parts = [part for part in text.split("/") if part]
    if any(part in ("..", ".") for part in parts):
        return "must not contain . or .. segments"
    if not parts or parts == ["~"]:
        return "is the VM user's home or /: sync would delete everything else in it"
    return None


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(?:\"{re.escape(key)}\"|{re.escape(key)})\s*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def fail(self, key: str, problem: str, hint: str | None = None) -> BadConfig:
        line = _line_of(self.text, key.rsplit(".", 1)[-1])
        where = f"{self.path}:{line}" if line else str(self.path)
        return BadConfig(f"{where}: {key} {problem}", hint=hint)

    def text_value(self, data: dict[str, Any], key: str, choices: tuple[str, ...] = ()) -> Any:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string, not {value!r}")
        if choices and value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def texts(self, data: dict[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "must be a list of non-empty strings", f'e.g. {key} = ["a", "b"]')
        return tuple(value)

    def patterns(self, data: dict[str, Any], key: str) -> tuple[str, ...]:
        """Patterns are data, one name each: never blank, never more than one line."""
        value = self.texts(data, key)
        for pattern in value:
            if not pattern.strip() or any(c in pattern for c in "\n\r\0"):
                raise self.fail(key, f"pattern {pattern!r} must be one line with a name in it")
        return value

    def unknown(self, data: dict[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(
                    prefix + key, "is not a known key", f"Known keys: {', '.join(allowed)}."
                )


def parse_project(root: Path, text: str, path: Path) -> Project:
    """Validate the text of a `.devtray.toml`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadConfig(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:  # tomllib recurses once per level of nesting
        raise BadConfig(f"{path}: arrays or tables are nested too deeply") from None
    reader = _Reader(path, text)
    reader.unknown(data, _TOP_KEYS)
    sync_data = data.get("sync", {})
    if not isinstance(sync_data, dict):
        raise reader.fail("sync", "must be a table: [sync]")
    reader.unknown(sync_data, _SYNC_KEYS, "sync.")
    trash_days = sync_data.get("trash_days", SyncSettings.trash_days)
    if (
        not isinstance(trash_days, int)
        or isinstance(trash_days, bool)
        or not 0 < trash_days <= 3650
    ):
        raise reader.fail("sync.trash_days", "must be a whole number of days (1-3650)")
    remote_path = reader.text_value(data, "remote_path")
    problem = remote_path_problem(remote_path) if remote_path is not None else None
    if problem:
        raise reader.fail("remote_path", f"{remote_path!r} {problem}", REMOTE_PATH_HINT)
    sync_git = data.get("sync_git", False)
    if not isinstance(sync_git, bool):
        raise reader.fail("sync_git", "must be true or false")
    return Project(
        root=root,
        vm=reader.text_value(data, "vm"),
        remote_path=remote_path,
        ports=reader.texts(data, "ports"),
        ide=reader.text_value(data, "ide", IDES),
        pull=reader.texts(data, "pull"),
        ignore=reader.patterns(data, "ignore"),
        sync_git=sync_git,
        sync=SyncSettings(
            engine=reader.text_value(sync_data, "engine", SYNC_ENGINES) or "auto",
            mode=reader.text_value(sync_data, "mode", SYNC_MODES) or "one-way-replica",
            trash_days=trash_days,
        ),
    )


def load_project(root: Path) -> Project:
    """The project in `root` (a folder), from its `.devtray.toml` when there is one."""
    root = root.resolve()
    if not root.is_dir():
        raise BadConfig(f"{root} is not a folder", hint="Name the project's folder.")
    path = root / PROJECT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Project(root=root)
    except (OSError, UnicodeDecodeError) as exc:
        raise BadConfig(f"{path}: cannot be read ({exc})") from None
    return parse_project(root, text, path)
