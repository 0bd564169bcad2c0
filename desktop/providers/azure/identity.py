"""Signing in to Azure: credentials built explicitly, never a chain that probes the network.

The order is devtray's own cached sign-in (from `devtray sign-in azure`), then an existing Azure
CLI login, else the person is asked to sign in. Never azure-identity's default chain nor a
managed identity: on a laptop those would probe the cloud's instance metadata address.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.core import errors
from desktop.core.config import AzureConfig, config_dir
from desktop.core.files import atomic_write

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, TokenCredential
    from azure.identity import AuthenticationRecord

# The name of devtray's MSAL token cache (encrypted by the OS: DPAPI, Keychain, libsecret).
TOKEN_CACHE_NAME = "devtray"  # noqa: S105 - a cache name, not a secret
# Who signed in, to which tenant: MSAL's account record. Not a secret; the tokens are not in it.
SIGN_IN_RECORD = "azure-sign-in.json"

_CLOUDS: Mapping[str, tuple[str, str]] = {
    "AzureCloud": ("https://management.azure.com", "https://login.microsoftonline.com"),
    "AzureChinaCloud": ("https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    "AzureUSGovernment": (
        "https://management.usgovcloudapi.net",
        "https://login.microsoftonline.us",
    ),
}


@dataclass(frozen=True)
class Endpoints:
    """Where Azure Resource Manager and Microsoft Entra sign-in live for the configured cloud."""

    arm: str
    authority: str
    custom: bool = False

    @property
    def scope(self) -> str:
        """The OAuth scope of Resource Manager tokens."""
        return f"{self.arm}/.default"


def endpoints_for(azure: AzureConfig) -> Endpoints:
    """The endpoints of `[azure] cloud`, or the explicit `arm_endpoint` + `authority`."""
    if azure.arm_endpoint and azure.authority:
        return Endpoints(azure.arm_endpoint, azure.authority, custom=True)
    arm, authority = _CLOUDS[azure.cloud]
    return Endpoints(arm, authority)


def sign_in_hint(tenant: str | None = None) -> str:
    """The command that fixes a missing or expired Azure sign-in."""
    suffix = f" --tenant {tenant}" if tenant else ""
    return f"Run `devtray sign-in azure{suffix}` (or `az login{suffix}`), then try again."


def record_path() -> Path:
    """Where devtray keeps the account record of its own sign-in."""
    return config_dir() / SIGN_IN_RECORD


def load_record() -> AuthenticationRecord | None:
    """The account devtray signed in with, or None (never signed in, or an unreadable record)."""
    from azure.identity import AuthenticationRecord

    try:
        return AuthenticationRecord.deserialize(record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return None


def _cache_options() -> Any:
    from azure.identity import TokenCachePersistenceOptions

    # Never fall back to a plaintext token file: without an OS secret store, sign in again.
    return TokenCachePersistenceOptions(name=TOKEN_CACHE_NAME, allow_unencrypted_storage=False)


def _common_options(endpoints: Endpoints, tenant: str | None) -> dict[str, Any]:
    return {
        "authority": endpoints.authority,
        "tenant_id": tenant or "organizations",
        "cache_persistence_options": _cache_options(),
        # A private cloud's authority is not in Microsoft's public instance list.
        "disable_instance_discovery": endpoints.custom,
    }


class _CachedSignIn:
    """devtray's own sign-in, refreshed silently; when that fails the chain goes on to `az`."""

    def __init__(self, credential: Any) -> None:
        self._credential = credential

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.exceptions import ClientAuthenticationError
        from azure.identity import CredentialUnavailableError

        try:
            token: AccessToken = self._credential.get_token(*scopes, **kwargs)
        except (ClientAuthenticationError, ValueError, OSError) as exc:
            # An expired refresh token, or an OS secret store that cannot be opened: both
            # mean "not this way", not "stop looking" (a chain stops on anything else).
            raise CredentialUnavailableError(f"devtray's own sign-in: {exc}") from exc
        return token


class _NotSignedIn:
    """Stands in when there is no sign-in at all, so the error comes from the first cloud call."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.identity import CredentialUnavailableError

        raise CredentialUnavailableError("You are not signed in to Azure.")


def make_credential(
    azure: AzureConfig, *, which: Callable[[str], str | None] = shutil.which
) -> TokenCredential:
    """devtray's cached sign-in, then the Azure CLI's login; nothing interactive, nothing probed."""
    from azure.identity import (
        AzureCliCredential,
        ChainedTokenCredential,
        InteractiveBrowserCredential,
    )

    endpoints = endpoints_for(azure)
    chain: list[Any] = []
    record = load_record()
    if record is not None:
        options = _common_options(endpoints, record.tenant_id)
        del options["authority"]  # the record names the authority it signed in with
        browser = InteractiveBrowserCredential(
            authentication_record=record,
            # Refresh silently from the cache; a browser opens only on `devtray sign-in`.
            disable_automatic_authentication=True,
            **options,
        )
        chain.append(_CachedSignIn(browser))
    if which("az") is not None:
        chain.append(AzureCliCredential(tenant_id=azure.tenant or ""))
    if not chain:
        return _NotSignedIn()
    credential: TokenCredential = ChainedTokenCredential(*chain)
    return credential


def can_open_browser() -> bool:
    """False on a headless Linux box or over SSH, where device-code sign-in is the way."""
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def sign_in(
    azure: AzureConfig | None,
    tenant: str | None,
    *,
    device_code: bool,
    show_code: Callable[[str, str], None],
) -> AuthenticationRecord:
    """Sign in interactively (browser, or a device code where no browser can open).

    The tokens go to the OS-protected cache; the account record is saved so later runs
    refresh silently. `show_code(url, code)` tells the person where to enter the code.
    """
    from azure.identity import (
        CredentialUnavailableError,
        DeviceCodeCredential,
        InteractiveBrowserCredential,
    )

    azure = azure or AzureConfig(labs=())
    endpoints = endpoints_for(azure)
    options = _common_options(endpoints, tenant or azure.tenant)

    def by_device_code() -> AuthenticationRecord:
        credential = DeviceCodeCredential(
            prompt_callback=lambda url, code, _expires: show_code(url, code), **options
        )
        return credential.authenticate(scopes=[endpoints.scope])

    try:
        with _sdk_warnings_held():
            if device_code or not can_open_browser():
                record = by_device_code()
            else:
                try:
                    record = InteractiveBrowserCredential(**options).authenticate(
                        scopes=[endpoints.scope]
                    )
                except CredentialUnavailableError:
                    record = by_device_code()  # the browser could not be opened after all
    except Exception as exc:
        raise _sign_in_failed(exc) from exc
    atomic_write(record_path(), record.serialize().encode("utf-8"), mode=0o600)
    return record


@contextlib.contextmanager
def _sdk_warnings_held() -> Iterator[None]:
    """azure-identity logs each failure as a WARNING before raising it; devtray says it once,
    in its own words (`_sign_in_failed`), so the SDK's copy is kept out of the terminal."""
    logger = logging.getLogger("azure.identity")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _sign_in_failed(exc: Exception) -> errors.DevtrayError:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "persist" in text.lower() or "libsecret" in text.lower() or "keyring" in text.lower():
        logging.getLogger(__name__).info("Azure token cache unavailable: %s", text)
        return errors.DevtrayError(
            "Azure sign-in worked, but nothing was saved: this computer has no secret store "
            "(keyring) to keep the token in, and devtray never writes it in plain text.",
            hint="Install and unlock a keyring (GNOME Keyring or KWallet) and run `devtray "
            "sign-in azure` again; or sign in with `az login` instead, which devtray reuses.",
        )
    return errors.AuthExpired(f"Azure sign-in did not complete: {text}", hint=sign_in_hint())


def token_claims(token: str) -> dict[str, Any]:
    """The claims of an access token (read, not verified: it is our own, just received)."""
    try:
        payload = token.split(".")[1]
        padded = payload + "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (IndexError, ValueError, binascii.Error):
        raise errors.AuthExpired(
            "The Azure token does not say who you are.", hint=sign_in_hint()
        ) from None
    if not isinstance(claims, dict):
        raise errors.AuthExpired("The Azure token does not say who you are.", hint=sign_in_hint())
    return claims


@dataclass(frozen=True)
class Me:
    """The signed-in person as DevTest Labs records VM owners."""

    object_id: str | None
    user_principal_name: str | None

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Me:
        """Object id (`oid`) and UPN (`upn`, else `preferred_username`/`unique_name`)."""
        upn = claims.get("upn") or claims.get("preferred_username") or claims.get("unique_name")
        oid = claims.get("oid")
        return cls(
            object_id=str(oid) if oid else None, user_principal_name=str(upn) if upn else None
        )

    def owns(self, owner_object_id: str | None, owner_upn: str | None) -> bool:
        """True when a lab VM's owner fields name this person."""
        if self.object_id and owner_object_id:
            return self.object_id.casefold() == owner_object_id.casefold()
        if self.user_principal_name and owner_upn:
            return self.user_principal_name.casefold() == owner_upn.casefold()
        return False

    def __str__(self) -> str:
        return self.user_principal_name or self.object_id or "unknown"
