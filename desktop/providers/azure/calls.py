"""The one place Azure SDK errors become core errors (401, 403, 404, 409, 429, policy, offline).

Retries of throttled (429, honouring Retry-After) and transient failures are the SDK's own
bounded retry policy, configured in `labs.make_client`; what still fails arrives here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from desktop.core import errors

T = TypeVar("T")

_CAPACITY = frozenset(
    {
        "AllocationFailed",
        "ZonalAllocationFailed",
        "OverconstrainedAllocationRequest",
        "OverconstrainedZonalAllocationRequest",
        "SkuNotAvailable",
        "QuotaExceeded",
        "OperationNotAllowed",
    }
)
_POLICY = frozenset({"RequestDisallowedByPolicy", "PolicyViolation", "PolicyEvaluationFailed"})
_AUTH = frozenset(
    {"ExpiredAuthenticationToken", "InvalidAuthenticationToken", "AuthenticationFailed"}
)


class AzureCalls:
    """Runs SDK calls and turns azure-core / azure-identity exceptions into core errors."""

    def __init__(self, sign_in_hint: str) -> None:
        self.sign_in_hint = sign_in_hint

    def call(self, what: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call `function`; `what` says in words what it was doing, for the error text."""
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            mapped = self.map_error(what, exc)
            if mapped is None:
                raise
            raise mapped from exc

    def map_error(self, what: str, exc: BaseException) -> errors.DevtrayError | None:
        """The core error for an Azure exception, or None if it is not one we know."""
        from azure.core import exceptions as ax

        if isinstance(exc, errors.DevtrayError):
            return exc
        if isinstance(exc, ax.ClientAuthenticationError):
            # Also what azure-identity raises when no credential in the chain has a token.
            detail = _first_line(exc)
            return errors.AuthExpired(
                f"Azure sign-in needed to {what}: {detail}", hint=self.sign_in_hint
            )
        if isinstance(exc, ax.ServiceRequestError | ax.ServiceResponseError):
            return errors.Offline(
                f"Cannot reach Azure to {what}.",
                hint="Check your network connection (and proxy / REQUESTS_CA_BUNDLE), "
                "then try again.",
            )
        if isinstance(exc, ax.HttpResponseError):
            return self._map_http(what, exc)
        return None

    def _map_http(self, what: str, exc: Any) -> errors.DevtrayError:
        status = exc.status_code
        code = str(getattr(exc.error, "code", None) or "")
        message = str(getattr(exc.error, "message", None) or "") or _first_line(exc)
        text = f"Azure refused to {what}: {message}"
        if status == 401 or code in _AUTH:
            return errors.AuthExpired(
                f"Azure sign-in expired or invalid ({code or status}).", hint=self.sign_in_hint
            )
        if code in _POLICY or "policy" in code.lower():
            return errors.PermissionDenied(
                f"Not allowed by policy ({code}): {message}",
                hint="Ask the lab's owner to allow it, or choose something the policy permits.",
            )
        if status == 403:
            return errors.PermissionDenied(
                text, hint="Ask your lab's owner for the DevTest Labs User role on this lab."
            )
        if status == 429:
            wait = _retry_after(exc)
            return errors.Throttled(
                f"Azure is throttling requests while trying to {what}"
                + (f"; it asks to wait {wait} s." if wait else "."),
                hint="Wait a little and try again; other tools on this subscription may be busy.",
            )
        if code in _CAPACITY:
            return errors.InsufficientCapacity(
                text, hint="Try again in a few minutes, or pick another size."
            )
        if status == 404:
            return errors.NotFound(text, hint="Check subscription, resource_group and lab.")
        if status == 409:
            return errors.InvalidState(
                text, hint="Another operation on it is still running; wait for it to finish."
            )
        return errors.DevtrayError(text)


def _retry_after(exc: Any) -> int | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date; the message then just says to wait


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
