"""Microsoft Entra's device-code sign-in, emulated on the ARM emulator's HTTPS server.

Just enough of the OAuth endpoints MSAL uses (OpenID configuration, device code, token) for
azure-identity's real DeviceCodeCredential to sign in. The code is approved at once; the access
token issued is the one the ARM emulator accepts, the ID token names the same user.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any
from urllib.parse import parse_qs

TENANT_ID = "33333333-3333-3333-3333-333333333333"
_PATH = re.compile(
    r"^/(?P<tenant>[^/]+)/(?P<what>v2\.0/\.well-known/openid-configuration|"
    r"oauth2/v2\.0/devicecode|oauth2/v2\.0/token)$"
)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def is_sign_in_path(path: str) -> bool:
    """True for the paths MSAL calls on the authority."""
    return _PATH.match(path) is not None


def answer(path: str, form: bytes, base_url: str, token: str, user: dict[str, str]) -> Any:
    """The JSON body for one sign-in request (the path matched `is_sign_in_path`)."""
    match = _PATH.match(path)
    assert match is not None
    tenant = f"{base_url}/{match['tenant']}"
    issuer = f"{base_url}/{TENANT_ID}/v2.0"
    if match["what"].endswith("openid-configuration"):
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{tenant}/oauth2/v2.0/authorize",
            "token_endpoint": f"{tenant}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{tenant}/oauth2/v2.0/devicecode",
        }
    if match["what"].endswith("devicecode"):
        return {
            "device_code": "device-code-1",
            "user_code": "DTRY-2026",
            "verification_uri": f"{base_url}/devicelogin",
            "expires_in": 900,
            "interval": 1,
            "message": "Open the page and enter the code.",
        }
    fields = parse_qs(form.decode())
    now = int(time.time())
    id_claims = {
        "iss": issuer,
        "sub": "subject-1",
        "aud": fields["client_id"][0],
        "exp": now + 3600,
        "iat": now,
        "nbf": now,
        "oid": user["oid"],
        "preferred_username": user["upn"],
        "tid": TENANT_ID,
        "name": "Alice",
    }
    return {
        "token_type": "Bearer",
        "scope": fields.get("scope", [""])[0],
        "expires_in": 3600,
        "ext_expires_in": 3600,
        "access_token": token,
        "refresh_token": "refresh-token-1",
        "id_token": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(id_claims)}.",
        "client_info": _b64({"uid": user["oid"], "utid": TENANT_ID}),
    }
