"""Config and usage errors through the real `devtray` command, against moto on 127.0.0.1.

Each test is a defect seen from the command line (issue 12, items 13-15): a value that crashed
later (exit 1, a traceback in the log) is refused at load time with exit 2 naming the key; a
config without `[aws]` still uses AWS; unknown names and sizes are usage errors.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_cli_aws import describe, devtray
from tests.moto_server import MotoEndpoint, run_instance


def log_text() -> str:
    log = Path(os.environ["DEVTRAY_LOG_DIR"]) / "devtray.log"
    return log.read_text() if log.exists() else ""


@pytest.mark.parametrize(
    "body",
    ['[ssh]\nuser = "dev"\n', '[vm.web]\nhost = "127.0.0.1"\nport = 2222\n'],
    ids=["ssh-only", "vm-only"],
)
def test_a_config_without_aws_still_lists_my_aws_vms(
    moto: MotoEndpoint, config_file: Path, body: str
) -> None:
    vm_id = run_instance("web")
    config_file.write_text(body)
    status = devtray("status", "--json")
    assert status.returncode == 0, status.stderr
    assert [vm["id"] for vm in json.loads(status.stdout)] == [vm_id]
    written = devtray("ssh-config")
    assert written.returncode == 0, written.stderr
    ssh_config = (Path.home() / ".ssh" / "config").read_text()
    assert "Host web.devtray" in ssh_config


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("[polling]\nfast_seconds = 123456789012345678901234567890\n", "polling.fast_seconds"),
        ("[polling]\nslow_seconds = 1e308\n", "polling.slow_seconds"),
        ("[autostop]\nidle_minutes = nan\n", "autostop.idle_minutes"),
        ("[autostop]\nwarn_minutes = inf\n", "autostop.warn_minutes"),
        ("[autostop]\nagent_idle_minutes = 1e308\n", "autostop.agent_idle_minutes"),
        ("[ssh]\nport = 123456789012345678901234567890\n", "ssh.port"),
        ('[tunnels]\nports = ["8000²"]\n', "tunnels.ports[0]"),
        ('[ssh]\nidentity_file = "~nosuchuser/id"\n', "ssh.identity_file"),
        ('[connect]\nproject = "~nosuchuser/src"\n', "connect.project"),
        ('[aws]\nregion = "https://evil.example.com"\n', "aws.region"),
        ('[aws]\nregion = "127.0.0.1"\n', "aws.region"),
        ('[updates]\nfeed_url = "https://[::1"\npublic_key = "x"\n', "updates.feed_url"),
        ("[tunnels]\nports = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
        ('[ssh]\nuser = "dev\\nProxyCommand x"\n', "ssh.user"),
    ],
)
def test_a_value_that_used_to_crash_later_is_refused_naming_the_key(
    moto: MotoEndpoint, config_file: Path, body: str, key: str
) -> None:
    run_instance("web")
    config_file.write_text('[aws]\nregion = "eu-west-1"\n' + body if "[aws]" not in body else body)
    for command in ("status", "ssh-config"):
        result = devtray(command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert key in result.stderr and str(config_file) in result.stderr
    assert "Traceback" not in log_text()


def test_an_unknown_size_is_a_usage_error_listing_the_choices(moto: MotoEndpoint) -> None:
    vm_id = run_instance("web")
    result = devtray("resize", "t9.huge", "web", "--yes")
    assert result.returncode == 2, result.stderr
    assert "t9.huge is not an EC2 instance type" in result.stderr
    assert "t3.large" in result.stderr  # a size web can take
    assert describe(vm_id)["InstanceType"] == "t3.micro"


def test_cost_days_must_not_be_negative(moto: MotoEndpoint) -> None:
    run_instance("web")
    result = devtray("cost", "--days", "-3")
    assert result.returncode == 2
    assert "--days" in result.stderr and "'-3'" in result.stderr


def test_cost_days_beyond_the_record_says_where_it_begins(moto: MotoEndpoint) -> None:
    run_instance("web")
    result = devtray("cost", "--days", "999")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.endswith("estimate")]
    assert len(rows) == 1  # today: the record began a moment ago
    assert "devtray's record of web begins" in result.stdout
    assert "listing 1 of the 999 days asked for" in result.stdout


def test_aws_region_counts_like_aws_default_region(
    moto: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    vm_id = run_instance("web")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    result = devtray("status", "--json")
    assert result.returncode == 0, result.stderr
    assert [vm["id"] for vm in json.loads(result.stdout)] == [vm_id]


def test_first_run_without_a_region_names_the_sign_in_and_the_demo(
    moto: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_instance("web")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = devtray("status")
    assert result.returncode == 3, result.stderr
    assert "devtray sign-in aws --start-url URL --region R" in result.stderr
    assert "devtray --demo" in result.stderr
    assert "No AWS region is set" not in result.stderr


def test_without_credentials_the_hint_names_devtray_sign_in_first(
    moto: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = devtray("status")
    assert result.returncode == 3, result.stderr
    hint = result.stderr.splitlines()[1]
    # AWS CLI v1 has no `aws sso login`: devtray's own first sign-in is what works everywhere.
    assert hint.strip().startswith("Run `devtray sign-in aws --start-url URL --region R`")
    assert "aws sso login" not in hint


class _ErrorPage(http.server.BaseHTTPRequestHandler):
    """Answers every request as a failing service behind a web server does: 500 and a page."""

    PAGE = b"<!doctype html>\n<html><title>500 Internal Server Error</title></html>\n"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.PAGE)))
        self.end_headers()
        self.wfile.write(self.PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def error_page() -> Iterator[str]:
    """A loopback HTTP server that answers 500 with an HTML page; its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ErrorPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_failing_pricing_api_and_cost_explorer_are_summarised(
    moto: MotoEndpoint, monkeypatch: pytest.MonkeyPatch, error_page: str
) -> None:
    run_instance("web")
    # Only these two services answer with the page; EC2 and STS stay on moto.
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", error_page)
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", error_page)
    result = devtray("cost")
    assert result.returncode == 0, result.stderr
    assert "<html" not in result.stderr + result.stdout
    said = result.stderr.count("AWS Pricing API unavailable (HTTP 500); using the built-in prices")
    assert said == 1, result.stderr
    billed = "Billed figures unavailable (AWS Cost Explorer): AWS answered HTTP 500 while trying to"
    assert billed in result.stdout and "..\n" not in result.stdout


def test_doctor_exits_2_for_a_config_error_and_3_for_a_sign_in(
    moto: MotoEndpoint, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file.write_text('[aws]\nregion = "x"\n')
    bad = devtray("doctor")
    assert bad.returncode == 2, bad.stdout
    assert "FAIL config" in bad.stdout and "aws.region" in bad.stdout
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    signed_out = devtray("doctor")
    assert signed_out.returncode == 3, signed_out.stdout
    assert "devtray sign-in aws" in signed_out.stdout


def test_a_project_file_with_a_huge_trash_days_is_refused(tmp_path: Path) -> None:
    # It used to load and then kill the sync worker (status stuck at `syncing`).
    project = tmp_path / "app"
    project.mkdir()
    (project / ".devtray.toml").write_text("[sync]\ntrash_days = 1000000\n")
    result = devtray("sync", "status", str(project))
    assert result.returncode == 2, result.stderr
    assert "sync.trash_days" in result.stderr and str(project / ".devtray.toml") in result.stderr
