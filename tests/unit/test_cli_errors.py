"""The CLI turns every failure into a message and an exit code, never a bare traceback."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.config import Config
from desktop.core.errors import AuthExpired
from desktop.core.model import VmSnapshot
from desktop.services.registry import Services
from desktop.system.logs import log_file, redact


class BrokenProvider:
    """Fake boundary: a provider that fails in a chosen way."""

    name = "broken"

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def list_my_vms(self) -> list[VmSnapshot]:
        raise self.error


def run(error: BaseException, *argv: str) -> tuple[int, str, str]:
    services = Services(config=Config(), providers=lambda: [BrokenProvider(error)])  # type: ignore[list-item]
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), lambda: services, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_user_facing_error_renders_message_and_hint() -> None:
    code, out, err = run(AuthExpired("Token expired.", hint="Run `devtray sign-in aws`."), "status")
    assert code == 3
    assert out == ""
    assert err == "error: Token expired.\n  Run `devtray sign-in aws`.\n"


def test_unexpected_error_is_logged_with_traceback_and_summarised() -> None:
    code, _out, err = run(RuntimeError("boom secret_access_key=AKIAABCDEFGHIJKLMNOP"), "status")
    assert code == 1
    assert "something went wrong in `devtray status`" in err
    assert str(log_file()) in err
    assert "Traceback" not in err
    logged = log_file().read_text()
    assert "Traceback (most recent call last)" in logged and "RuntimeError: boom" in logged
    assert "AKIAABCDEFGHIJKLMNOP" not in logged


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run(RuntimeError("unused"), "resize")
    assert caught.value.code == 2
    assert "the following arguments are required: size" in capsys.readouterr().err


def test_no_command_prints_help() -> None:
    code, out, _err = run(RuntimeError("unused"))
    assert code == 2 and "status" in out and "resize" in out


def test_redaction() -> None:
    text = (
        '{"accessToken": "eyJhbGciOi", "clientSecret": "s3cr3t"} password=hunter2 '
        "Authorization: Bearer abc.def AKIAABCDEFGHIJKLMNOP\n"
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----"
    )
    cleaned = redact(text)
    for secret in (
        "eyJhbGciOi",
        "s3cr3t",
        "hunter2",
        "abc.def",
        "ABCDEFGHIJKLMNOP",
        "b3BlbnNzaC1rZXk",
    ):
        assert secret not in cleaned
    assert '"accessToken": "***"' in cleaned


def test_log_dir_is_private_to_the_test(isolated_home: Path) -> None:
    assert str(log_file()).startswith(str(isolated_home))
    assert os.environ["DEVTRAY_LOG_DIR"] in str(log_file())
