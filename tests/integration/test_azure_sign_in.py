"""Sign-in order and TLS trust through the real composition root, against the ARM emulator.

Two boundaries we cannot run here are replaced, and named so: the Azure CLI (a fake `az` on PATH
answers `az account get-access-token` like the real one, so azure-identity's real
AzureCliCredential runs) and the OS secret store that holds MSAL's token cache (a plaintext file
in the test's HOME). Microsoft Entra's device-code sign-in is emulated on the same HTTPS server.
Nothing but 127.0.0.1 is contacted (the conftest socket guard refuses anything else).
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.app import build_services
from desktop.cli.main import main
from desktop.providers.azure import identity
from tests.arm_emulator import ArmEmulator, FakeStaticTokenCredential, write_azure_config
from tests.integration.azure_cli_helpers import Result


def install_fake_az(folder: Path, token: str) -> Path:
    """A fake `az` that prints what `az account get-access-token --output json` prints."""
    folder.mkdir(parents=True, exist_ok=True)
    answer = {
        "accessToken": token,
        "expiresOn": "2099-01-01 00:00:00.000000",
        "expires_on": int(time.time()) + 3600,
        "subscription": "00000000-0000-0000-0000-000000000000",
        "tenant": "33333333-3333-3333-3333-333333333333",
        "tokenType": "Bearer",
    }
    script = folder / "az"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdout.write({json.dumps(json.dumps(answer))})\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def devtray(argv: list[str]) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, build_services, out=out, err=err)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the whole PATH (no real `az` can answer), /bin kept for `sh`."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/bin{os.pathsep}/usr/bin")
    return folder


@pytest.fixture
def az_logged_in(
    arm: ArmEmulator, config_file: Path, tools: Path, monkeypatch: pytest.MonkeyPatch
) -> ArmEmulator:
    """Config for the emulator, an Azure CLI login (the fake `az`), the test CA in the bundle."""
    write_azure_config(config_file, arm)
    install_fake_az(tools, FakeStaticTokenCredential().token)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(arm.ca_path))
    return arm


@pytest.fixture
def plaintext_token_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stands in for the OS secret store (libsecret, Keychain, DPAPI) that CI machines lack."""
    from azure.identity import TokenCachePersistenceOptions

    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)  # never the real keyring
    monkeypatch.setattr(
        identity,
        "_cache_options",
        lambda: TokenCachePersistenceOptions(name="devtray-test", allow_unencrypted_storage=True),
    )


def test_device_code_sign_in_then_status_refreshes_silently(
    arm: ArmEmulator,
    config_file: Path,
    tools: Path,
    monkeypatch: pytest.MonkeyPatch,
    plaintext_token_cache: None,
) -> None:
    write_azure_config(config_file, arm)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(arm.ca_path))

    signed_in = devtray(["sign-in", "azure", "--device-code"])

    assert signed_in.code == 0, signed_in.err
    assert "enter the code DTRY-2026" in signed_in.err
    assert "Signed in to Azure as alice@contoso.com" in signed_in.out
    assert identity.load_record() is not None

    status = devtray(["status", "--json"])

    assert status.code == 0, status.err
    assert [vm["name"] for vm in json.loads(status.out)] == ["alice-vm"]
    # Signing in took the device code once; status then refreshed from the cache, no prompt.
    assert arm.grants[0] == "urn:ietf:params:oauth:grant-type:device_code"
    assert set(arm.grants[1:]) <= {"refresh_token"}


def test_without_a_secret_store_sign_in_refuses_to_keep_tokens_in_plain_text(
    arm: ArmEmulator, config_file: Path, tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_azure_config(config_file, arm)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(arm.ca_path))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)  # no secret service here

    # The real command in a child process: what reaches the terminal, the SDK's logging too.
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "sign-in", "azure", "--device-code"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.count("nothing was saved") == 1
    assert "no secret store" in result.stderr and "az login" in result.stderr
    assert "devtray sign-in azure" in result.stderr  # what to do after installing a keyring
    assert "allow_unencrypted_storage" not in result.stderr  # the SDK's text, not ours
    assert identity.load_record() is None
    assert not list(Path.home().rglob("devtray*.nocae"))


def test_without_any_sign_in_status_exits_3_with_the_command(
    arm: ArmEmulator, config_file: Path, tools: Path
) -> None:
    write_azure_config(config_file, arm)

    result = devtray(["status"])

    assert result.code == 3
    assert "devtray sign-in azure" in result.err
    assert arm.requests == []  # nothing was sent without a token


def test_an_azure_cli_login_is_reused_and_tls_trusts_requests_ca_bundle(
    az_logged_in: ArmEmulator,
) -> None:
    result = devtray(["status", "--json"])

    assert result.code == 0, result.err
    assert [vm["name"] for vm in json.loads(result.out)] == ["alice-vm"]


def test_without_the_proxy_ca_the_emulator_is_not_trusted(
    az_logged_in: ArmEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)

    result = devtray(["status"])

    assert result.code == 1
    assert "Cannot reach Azure" in result.err
    assert "REQUESTS_CA_BUNDLE" in result.err


def test_a_stale_devtray_sign_in_falls_back_to_the_azure_cli(az_logged_in: ArmEmulator) -> None:
    from azure.identity import AuthenticationRecord

    record = AuthenticationRecord(
        tenant_id="33333333-3333-3333-3333-333333333333",
        client_id="04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        authority="127.0.0.1:9",
        home_account_id="uid.utid",
        username="alice@contoso.com",
    )
    identity.record_path().write_text(record.serialize(), encoding="utf-8")

    result = devtray(["status", "--json"])

    assert result.code == 0, result.err
    assert [vm["name"] for vm in json.loads(result.out)] == ["alice-vm"]


def test_no_credential_that_probes_the_network_is_ever_built() -> None:
    sources = Path(identity.__file__).parent.rglob("*.py")
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    for forbidden in ("DefaultAzureCredential", "ManagedIdentityCredential", "169.254"):
        assert forbidden not in text
