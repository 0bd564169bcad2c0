"""What every command gets: the services, the output streams and the parsed arguments."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from desktop.core.model import VmSnapshot
from desktop.core.provider import Provider
from desktop.core.selection import choose_vm
from desktop.services.registry import Services


@dataclass
class CommandContext:
    """One run of one command."""

    args: argparse.Namespace
    load_services: Callable[[], Services]
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    _services: Services | None = None

    @property
    def services(self) -> Services:
        """The services, built on first use (so a config error is reported by the command)."""
        if self._services is None:
            self._services = self.load_services()
        return self._services

    def providers(self) -> Sequence[Provider]:
        """The configured cloud providers."""
        return self.services.providers()

    def all_vms(self) -> list[tuple[Provider, VmSnapshot]]:
        """Every VM of mine, with the provider that owns it."""
        return [(p, vm) for p in self.providers() for vm in p.list_my_vms()]

    def pick_vm(self, name_or_id: str | None) -> tuple[Provider, VmSnapshot]:
        """The VM the user named (or the only one), with its provider."""
        pairs = self.all_vms()
        vm = choose_vm([vm for _, vm in pairs], name_or_id)
        provider = next(p for p, candidate in pairs if candidate is vm)
        return provider, vm

    @property
    def interactive(self) -> bool:
        """True when a person is watching stderr (progress may redraw a line)."""
        return bool(getattr(self.err, "isatty", lambda: False)())


Handler = Callable[[CommandContext], int]
Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
