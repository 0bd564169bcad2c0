"""IAM Identity Center on 127.0.0.1: the sso-oidc device flow and the access portal (`sso`).

moto 5.2.5 has neither service, and botocore's credential provider builds its own `sso` client
(a Stubber cannot reach it), so this is a small HTTP stand-in answering in the REST-JSON shapes
of botocore's service models (`sso-oidc` RegisterClient, StartDeviceAuthorization, CreateToken;
`sso` ListAccounts, ListAccountRoles, GetRoleCredentials). The real clients reach it through the
standard service endpoint variables AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO.

The person approving the code in a browser is the test: `approve()` / `deny()`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

START_URL = "https://corp.awsapps.com/start"
ACCOUNT_ID = "111122223333"
ROLE = "Developer"
# What ~/.aws/config holds after a first sign-in from START_URL in eu-west-1 (tray or CLI).
NEW_PROFILE_TEXT = (
    "[profile devtray]\n"
    "sso_session = devtray\n"
    f"sso_account_id = {ACCOUNT_ID}\n"
    f"sso_role_name = {ROLE}\n"
    "region = eu-west-1\n"
    "\n"
    "[sso-session devtray]\n"
    f"sso_start_url = {START_URL}\n"
    "sso_region = eu-west-1\n"
    "sso_registration_scopes = sso:account:access\n"
)


@dataclass
class Device:
    """One device authorization: pending until the test approves or denies it."""

    device_code: str
    user_code: str
    client_id: str
    expires_at: float
    state: str = "pending"  # approved, denied


@dataclass
class SsoEmulator:
    """The running stand-in: its URL, what it offers, and what it was asked (in order)."""

    url: str = ""
    start_url: str = START_URL
    accounts: dict[str, tuple[str, tuple[str, ...]]] = field(
        default_factory=lambda: {ACCOUNT_ID: ("dev", (ROLE,))}
    )
    device_seconds: int = 600  # how long a user code stays valid
    calls: list[str] = field(default_factory=list)
    devices: dict[str, Device] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)  # id -> secret
    tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def device(self, user_code: str) -> Device:
        return next(d for d in self.devices.values() if d.user_code == user_code)

    def approve(self, user_code: str) -> None:
        """The person approves the request in the browser."""
        with self.lock:
            self.device(user_code).state = "approved"

    def deny(self, user_code: str) -> None:
        """The person clicks Deny in the browser."""
        with self.lock:
            self.device(user_code).state = "denied"

    # -- sso-oidc -----------------------------------------------------------------------------

    def register_client(self, body: dict[str, Any]) -> dict[str, Any]:
        assert body["clientType"] == "public" and body["clientName"]
        client_id, secret = f"client-{secrets.token_hex(4)}", secrets.token_hex(16)
        self.clients[client_id] = secret
        now = int(time.time())
        return {
            "clientId": client_id,
            "clientSecret": secret,
            "clientIdIssuedAt": now,
            "clientSecretExpiresAt": now + 90 * 86400,
        }

    def start_device_authorization(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_client(body)
        if body["startUrl"] != self.start_url:
            raise ApiError(400, "InvalidRequestException", "unknown start URL")
        user_code = f"{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}"
        device = Device(
            secrets.token_hex(8),
            user_code,
            body["clientId"],
            time.monotonic() + self.device_seconds,
        )
        self.devices[device.device_code] = device
        page = "https://device.sso.eu-west-1.amazonaws.com/"  # never opened: the browser is fake
        return {
            "deviceCode": device.device_code,
            "userCode": user_code,
            "verificationUri": page,
            "verificationUriComplete": f"{page}?user_code={user_code}",
            "expiresIn": self.device_seconds,
            "interval": 1,
        }

    def create_token(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_client(body)
        assert body["grantType"] == "urn:ietf:params:oauth:grant-type:device_code"
        device = self.devices.get(body["deviceCode"])
        if device is None or device.client_id != body["clientId"]:
            raise ApiError(400, "InvalidGrantException", "unknown device code")
        if time.monotonic() > device.expires_at:
            raise ApiError(400, "ExpiredTokenException", "the device code expired")
        if device.state == "denied":
            raise ApiError(400, "AccessDeniedException", "the user denied the request")
        if device.state == "pending":
            raise ApiError(400, "AuthorizationPendingException", "waiting for the user")
        token = f"sso-token-{secrets.token_hex(8)}"
        self.tokens.add(token)
        return {"accessToken": token, "tokenType": "Bearer", "expiresIn": 28800}

    def _check_client(self, body: dict[str, Any]) -> None:
        if self.clients.get(body.get("clientId", "")) != body.get("clientSecret"):
            raise ApiError(400, "InvalidClientException", "unknown client")

    # -- sso (the access portal) --------------------------------------------------------------

    def list_accounts(self, _query: dict[str, str]) -> dict[str, Any]:
        accounts = [
            {"accountId": account, "accountName": name, "emailAddress": f"{name}@example.com"}
            for account, (name, _roles) in self.accounts.items()
        ]
        return {"accountList": accounts}

    def list_account_roles(self, query: dict[str, str]) -> dict[str, Any]:
        account = query["account_id"]
        roles = self.accounts[account][1]
        return {"roleList": [{"roleName": role, "accountId": account} for role in roles]}

    def get_role_credentials(self, query: dict[str, str]) -> dict[str, Any]:
        account, role = query["account_id"], query["role_name"]
        if role not in self.accounts.get(account, ("", ()))[1]:
            raise ApiError(403, "ForbiddenException", "no such role for this user")
        return {
            "roleCredentials": {
                "accessKeyId": f"ASIA{secrets.token_hex(8).upper()}",
                "secretAccessKey": secrets.token_hex(20),
                "sessionToken": secrets.token_hex(32),
                "expiration": int((time.time() + 3600) * 1000),
            }
        }


class ApiError(Exception):
    """An error answer in the REST-JSON shape botocore parses (x-amzn-ErrorType header)."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


_POSTS = {
    "/client/register": ("RegisterClient", SsoEmulator.register_client),
    "/device_authorization": ("StartDeviceAuthorization", SsoEmulator.start_device_authorization),
    "/token": ("CreateToken", SsoEmulator.create_token),
}
_GETS = {
    "/assignment/accounts": ("ListAccounts", SsoEmulator.list_accounts),
    "/assignment/roles": ("ListAccountRoles", SsoEmulator.list_account_roles),
    "/federation/credentials": ("GetRoleCredentials", SsoEmulator.get_role_credentials),
}


def _handler(emulator: SsoEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if path not in _POSTS:
                self._answer(404, {"message": f"no route {path}"})
                return
            name, operation = _POSTS[path]
            self._call(name, lambda: operation(emulator, body))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path not in _GETS:
                self._answer(404, {"message": f"no route {parts.path}"})
                return
            name, operation = _GETS[parts.path]

            def checked() -> dict[str, Any]:
                if self.headers.get("x-amz-sso_bearer_token") not in emulator.tokens:
                    raise ApiError(401, "UnauthorizedException", "invalid or expired token")
                return operation(emulator, query)

            self._call(name, checked)

        def _call(self, name: str, operation: Any) -> None:
            with emulator.lock:
                emulator.calls.append(name)
                try:
                    answer = operation()
                except ApiError as exc:
                    error = {"error": exc.code, "error_description": exc.description}
                    self._answer(exc.status, error, exc.code)
                    return
            self._answer(200, answer)

        def _answer(self, status: int, body: dict[str, Any], error: str | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if error:
                self.send_header("x-amzn-ErrorType", error)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the calls list is the record

    return Handler


@pytest.fixture
def sso_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[SsoEmulator]:
    """IAM Identity Center on a free loopback port; botocore's sso-oidc and sso go there."""
    emulator = SsoEmulator()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(emulator))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="sso-emulator", daemon=True
    )
    thread.start()
    emulator.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", emulator.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", emulator.url)
    try:
        yield emulator
    finally:
        server.shutdown()
        server.server_close()
