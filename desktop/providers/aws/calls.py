"""The one place boto3 is called: timeouts, back-off on throttling, errors mapped to the core's."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from desktop.core import errors

T = TypeVar("T")

_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "SlowDown",
    }
)
_AUTH_EXPIRED = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "AuthFailure",
        "UnrecognizedClientException",
        "InvalidToken",
        "UnauthorizedException",
    }
)
_PERMISSION = frozenset({"UnauthorizedOperation", "AccessDenied", "AccessDeniedException"})
_CAPACITY = frozenset(
    {"InsufficientInstanceCapacity", "InsufficientCapacity", "InsufficientHostCapacity"}
)
_INVALID_STATE = frozenset({"IncorrectInstanceState", "IncorrectState", "UnsupportedOperation"})
_NOT_FOUND_SUFFIX = ".NotFound"
_INVALID_TYPE = frozenset({"InvalidInstanceType", "InvalidParameterValue"})


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying when throttled: bounded both in attempts and in time."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_total: float = 30.0


class AwsCalls:
    """Runs boto3 calls and turns botocore's exceptions into core errors."""

    def __init__(
        self,
        sign_in_hint: str,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sign_in_hint = sign_in_hint
        self.retry = retry or RetryPolicy()
        self._sleep = sleep

    def call(self, what: str, function: Callable[..., T], **kwargs: Any) -> T:
        """Call `function(**kwargs)`; `what` says in words what it was doing, for error text."""
        waited = 0.0
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return function(**kwargs)
            except Exception as exc:  # mapped below; unknown exceptions re-raised as they are
                mapped = self.map_error(what, exc)
                if mapped is None:
                    raise
                delay = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
                delay *= 0.5 + random.random() / 2  # jitter: many tray apps, one account
                retryable = isinstance(mapped, errors.Throttled)
                if not retryable or attempt == self.retry.attempts:
                    raise mapped from exc
                if waited + delay > self.retry.max_total:
                    raise mapped from exc
                self._sleep(delay)
                waited += delay
        raise AssertionError("unreachable: the loop returns or raises")

    def map_error(self, what: str, exc: BaseException) -> errors.DevtrayError | None:
        """The core error for a botocore exception, or None if it is not one we know."""
        from botocore import exceptions as bx

        if isinstance(exc, errors.DevtrayError):
            return exc
        if isinstance(exc, bx.ClientError):
            return self._map_client_error(what, exc)
        expired_types = (
            bx.NoCredentialsError,
            bx.UnauthorizedSSOTokenError,
            bx.SSOTokenLoadError,
            bx.TokenRetrievalError,
            bx.CredentialRetrievalError,
        )
        if isinstance(exc, expired_types):
            return errors.AuthExpired(
                f"AWS sign-in needed while trying to {what}: {exc}", hint=self.sign_in_hint
            )
        if isinstance(exc, bx.ProfileNotFound):
            return errors.BadConfig(
                f"AWS profile not found: {exc}",
                hint="Set [aws] profile to a profile in ~/.aws/config, or remove it.",
            )
        if isinstance(exc, bx.NoRegionError):
            return errors.BadConfig(
                "No AWS region is set.",
                hint="Set [aws] region in devtray's config, or a region in your AWS profile.",
            )
        if isinstance(
            exc, bx.EndpointConnectionError | bx.ConnectTimeoutError | bx.ReadTimeoutError
        ):
            return errors.Offline(
                f"Cannot reach AWS to {what}.",
                hint="Check your network connection; devtray retries on its own.",
            )
        return None

    def _map_client_error(self, what: str, exc: Any) -> errors.DevtrayError:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code.isdigit():
            # botocore's code for a body it could not parse (a proxy's or a 5xx HTML page):
            # its text is the page itself, which no one should have to read.
            return errors.ServiceUnavailable(
                f"AWS answered HTTP {code} while trying to {what}.",
                int(code),
                hint="This is on AWS's side (or a proxy's); devtray tries again later.",
            )
        message = str(error.get("Message", "")).strip().splitlines()
        text = f"AWS refused to {what}: {message[0][:300] if message else code}"
        if code in _THROTTLING:
            return errors.Throttled(
                f"AWS is throttling requests ({code}) while trying to {what}.",
                hint="Wait a minute and try again; other tools on this account may be busy.",
            )
        if code in _AUTH_EXPIRED or code.startswith("UnauthorizedSSOToken"):
            return errors.AuthExpired(
                f"AWS sign-in expired or invalid ({code}).", hint=self.sign_in_hint
            )
        if code in _PERMISSION:
            return errors.PermissionDenied(
                text, hint="Ask your AWS administrator for this permission on your VM."
            )
        if code in _CAPACITY:
            return errors.InsufficientCapacity(
                text, hint="Try again in a few minutes, or pick another size."
            )
        if code in _INVALID_STATE:
            return errors.InvalidState(text, hint="Wait until the VM finishes its current change.")
        if code.endswith(_NOT_FOUND_SUFFIX) or code in _INVALID_TYPE:
            return errors.NotFound(text)
        return errors.DevtrayError(text)
