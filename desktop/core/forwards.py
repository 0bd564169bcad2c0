"""Port forwards as written in `.devtray.toml` and `config.toml`: `ports = ["8000", ...]`.

- `"8000"`: localhost:8000 on the laptop reaches localhost:8000 on the VM;
- `"8080:8000"`: laptop port 8080 reaches the VM's port 8000;
- `"5432:db.internal:5432"`: laptop port 5432 reaches db.internal:5432 as seen from the VM.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from desktop.core.config import Config
from desktop.core.errors import BadConfig
from desktop.core.project import PROJECT_FILE, Project

_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


@dataclass(frozen=True)
class Forward:
    """A local port on the laptop that reaches `remote_host:remote_port` from the VM."""

    local_port: int
    remote_host: str
    remote_port: int
    bind_address: str = "127.0.0.1"

    def ssh_argument(self) -> str:
        """The value of ssh's `-L`."""
        return f"{self.bind_address}:{self.local_port}:{self.remote_host}:{self.remote_port}"

    def describe(self) -> str:
        """`localhost:8000 -> db.internal:5432` for people."""
        return f"localhost:{self.local_port} -> {self.remote_host}:{self.remote_port}"


def _port(text: str, spec: str, source: str) -> int:
    # isdigit() alone also takes "²" and other digits int() refuses.
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise BadConfig(
            f"{source}: {text!r} in ports entry {spec!r} is not a port number (1-65535)",
            hint='Write ports like "8000", "8080:8000" or "5432:db.internal:5432".',
        )
    return int(text)


def parse_forward(spec: str, source: str) -> Forward:
    """One `ports` entry; `source` names the file it came from, for the error message."""
    parts = spec.strip().split(":")
    if len(parts) == 1:
        port = _port(parts[0], spec, source)
        return Forward(port, "localhost", port)
    if len(parts) == 2:
        return Forward(_port(parts[0], spec, source), "localhost", _port(parts[1], spec, source))
    if len(parts) == 3 and _HOST.fullmatch(parts[1]):
        return Forward(_port(parts[0], spec, source), parts[1], _port(parts[2], spec, source))
    raise BadConfig(
        f"{source}: ports entry {spec!r} is not LOCAL, LOCAL:REMOTE or LOCAL:HOST:REMOTE",
        hint='Write ports like "8000", "8080:8000" or "5432:db.internal:5432".',
    )


def parse_forwards(specs: Iterable[tuple[str, str]]) -> list[Forward]:
    """(spec, source) pairs → forwards; a local port used twice is an error naming both."""
    forwards: list[Forward] = []
    seen: dict[int, str] = {}
    for spec, source in specs:
        forward = parse_forward(spec, source)
        if forward.local_port in seen:
            if forward in forwards:
                continue  # the same forward in the project and the config: once is enough
            raise BadConfig(
                f"{source}: local port {forward.local_port} is forwarded twice "
                f"(also in {seen[forward.local_port]})",
                hint='Give one of them another local port, e.g. "8001:8000".',
            )
        seen[forward.local_port] = source
        forwards.append(forward)
    return forwards


def wanted_forwards(project: Project | None, config: Config) -> list[Forward]:
    """The project's `ports` and the config's `[tunnels] ports`, checked together."""
    specs = [(spec, str(project.root / PROJECT_FILE)) for spec in project.ports] if project else []
    specs += [(spec, f"{config.path} [tunnels]") for spec in config.tunnels.ports]
    return parse_forwards(specs)
