"""User-facing errors: each says what went wrong and what the person can do next.

Adapters raise these; the CLI and the tray render them. Anything else that escapes is a bug,
logged with its traceback and shown as "something went wrong".
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """The CLI's exit codes."""

    OK = 0
    FAILED = 1
    USAGE = 2
    SIGN_IN = 3


class DevtrayError(Exception):
    """Base of every error a person is meant to read."""

    exit_code: ExitCode = ExitCode.FAILED
    title: str = "Operation failed"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class AuthExpired(DevtrayError):
    """Credentials are missing or expired; the hint names the sign-in command."""

    exit_code = ExitCode.SIGN_IN
    title = "Sign-in needed"


class PermissionDenied(DevtrayError):
    """The signed-in identity may not do this."""

    title = "Permission denied"


class Throttled(DevtrayError):
    """The cloud asked us to slow down and kept asking after our back-off."""

    title = "Cloud is throttling requests"


class InsufficientCapacity(DevtrayError):
    """The cloud has no capacity for this size in this zone right now."""

    title = "No capacity"


class NotFound(DevtrayError):
    """A VM, size or resource does not exist (or is not ours)."""

    title = "Not found"


class InvalidState(DevtrayError):
    """The VM is in a state where this operation cannot run."""

    title = "Not possible right now"


class Offline(DevtrayError):
    """The cloud endpoint cannot be reached."""

    title = "Offline"


class ServiceUnavailable(Offline):
    """The cloud service answered an HTTP error without a message of its own (an HTML page)."""

    title = "Cloud service unavailable"

    def __init__(self, message: str, status: int, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status

    @property
    def reason(self) -> str:
        """`HTTP 500`: what to show instead of the page the service sent."""
        return f"HTTP {self.status}"


class BadConfig(DevtrayError):
    """The configuration (file, environment or command line) is wrong."""

    exit_code = ExitCode.USAGE
    title = "Configuration error"


class UsageError(DevtrayError):
    """The command line names something that does not fit (an ambiguous VM, say)."""

    exit_code = ExitCode.USAGE
    title = "Usage error"


class Cancelled(DevtrayError):
    """The user cancelled a running operation."""

    title = "Cancelled"
