"""`devtray doctor`: what works, what is missing, and how to fix each."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from desktop.cli.context import CommandContext
from desktop.cli.output import printable
from desktop.core.errors import DevtrayError, ExitCode
from desktop.system.tools import TOOLS, find_tool

OPTIONAL_TOOLS = frozenset({"mutagen"})


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    ok: bool
    subject: str
    detail: str
    optional: bool = False
    exit_code: ExitCode = ExitCode.FAILED  # when this required check fails

    @classmethod
    def failed(cls, subject: str, error: DevtrayError) -> Check:
        """A failed check that says what the error says, with the error's exit code."""
        detail = f"{error.message} {error.hint or ''}".strip()
        return cls(False, subject, detail, exit_code=error.exit_code)

    def render(self) -> str:
        label = "OK" if self.ok else ("--" if self.optional else "FAIL")
        return f"{label:<5}{self.subject:<13} {self.detail}"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `doctor`."""
    doctor = commands.add_parser("doctor", help="check sign-in, config, VMs and tools")
    doctor.set_defaults(handler=run_doctor)


def run_doctor(ctx: CommandContext) -> int:
    """Print one line per check; the exit code is the first failed required check's: 2 for the
    config, 3 for a sign-in, 1 for anything else (a VM not found, a tool missing)."""
    checks = _config_checks(ctx)
    if checks[-1].ok:
        checks += _cloud_checks(ctx)
    checks += _tool_checks()
    for check in checks:
        ctx.out.write(check.render() + "\n")
    failed = [c for c in checks if not c.ok and not c.optional]
    return int(failed[0].exit_code) if failed else 0


def _config_checks(ctx: CommandContext) -> list[Check]:
    try:
        config = ctx.services.config
    except DevtrayError as exc:
        return [Check.failed("config", exc)]
    where = str(config.path) if config.exists else f"{config.path} (absent: using defaults)"
    return [Check(True, "config", where)]


def _cloud_checks(ctx: CommandContext) -> list[Check]:
    try:
        providers = ctx.providers()
    except DevtrayError as exc:
        return [Check.failed("cloud", exc)]
    checks = []
    for provider in providers:
        try:
            who = provider.identity()
            checks.append(Check(True, f"{provider.name} sign-in", f"owner {printable(who)}"))
            vms = provider.list_my_vms()
        except DevtrayError as exc:
            checks.append(Check.failed(provider.name, exc))
            continue
        region = getattr(provider, "region", "")
        names = ", ".join(printable(vm.name) for vm in vms)
        checks.append(
            Check(
                bool(vms),
                f"{provider.name} VMs",
                f"{len(vms)} found in {region}: {names}"
                if vms
                else f"none found in {region}; check the owner tag and region",
            )
        )
    return checks


def _tool_checks() -> list[Check]:
    checks = []
    for tool in TOOLS:
        path = find_tool(tool)
        optional = tool.optional or tool.name in OPTIONAL_TOOLS
        detail = f"{path}" if path else f"missing ({tool.purpose}). {tool.install_hint}"
        checks.append(Check(path is not None, tool.name, detail, optional=optional))
    return checks
