"""Text for people, shared by the CLI and the tray: durations, uptimes, untrusted names."""

from __future__ import annotations

from datetime import UTC, datetime

from desktop.core.model import VmSnapshot, VmState
from desktop.core.text import QT_TRANSLATE_NOOP, Text

_SECONDS = QT_TRANSLATE_NOOP("duration", "{s}s")
_MINUTES = QT_TRANSLATE_NOOP("duration", "{m}m")
_HOURS = QT_TRANSLATE_NOOP("duration", "{h}h {m}m")
_DAYS = QT_TRANSLATE_NOOP("duration", "{d}d {h}h")


def duration_text(seconds: float) -> Text:
    """`45s`, `12m`, `3h 05m`, `2d 4h` (translatable)."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _SECONDS(s=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return _MINUTES(m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _HOURS(h=hours, m=f"{minutes:02d}")
    days, hours = divmod(hours, 24)
    return _DAYS(d=days, h=hours)


def duration(seconds: float) -> str:
    """`45s`, `12m`, `3h 05m`, `2d 4h` in English."""
    return str(duration_text(seconds))


def uptime_text(vm: VmSnapshot, now: datetime | None = None) -> Text | None:
    """How long a running VM has been up (translatable), or None."""
    if vm.launched_at is None or vm.state is not VmState.RUNNING:
        return None
    now = now or datetime.now(UTC)
    return duration_text((now - vm.launched_at).total_seconds())


def uptime(vm: VmSnapshot, now: datetime | None = None) -> str:
    """How long a running VM has been up, or `-`."""
    up = uptime_text(vm, now)
    return "-" if up is None else str(up)


def printable(text: str) -> str:
    """Cloud-supplied text made safe to show (no escape sequences, no newlines)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)
