"""Text for people, shared by the CLI and the tray: durations, uptimes, untrusted names."""

from __future__ import annotations

from datetime import UTC, datetime

from desktop.core.model import VmSnapshot, VmState


def duration(seconds: float) -> str:
    """`45s`, `12m`, `3h 05m`, `2d 4h`."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def uptime(vm: VmSnapshot, now: datetime | None = None) -> str:
    """How long a running VM has been up, or `-`."""
    if vm.launched_at is None or vm.state is not VmState.RUNNING:
        return "-"
    now = now or datetime.now(UTC)
    return duration((now - vm.launched_at).total_seconds())


def printable(text: str) -> str:
    """Cloud-supplied text made safe to show (no escape sequences, no newlines)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)
