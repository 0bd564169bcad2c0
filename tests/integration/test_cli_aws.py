"""The real `devtray` command, in a child process, against moto's server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop import __version__
from tests.moto_server import ARM_IMAGE, MotoEndpoint, ec2_client, run_instance


def devtray(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m desktop ARGS` with this test's environment (HOME, endpoint, config)."""
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def describe(vm_id: str) -> dict[str, object]:
    instance: dict[str, object] = ec2_client().describe_instances(InstanceIds=[vm_id])[
        "Reservations"
    ][0]["Instances"][0]
    return instance


def fast_polling(config_file: Path, extra: str = "") -> None:
    config_file.write_text(f"[aws]\nregion = 'eu-west-1'\n[polling]\nfast_seconds = 0.1\n{extra}")


def test_version() -> None:
    result = devtray("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"devtray {__version__}"


def test_status_json_lists_exactly_my_two_vms(moto: MotoEndpoint) -> None:
    mine = {run_instance("web"), run_instance("db")}
    run_instance("colleague", owner="someone-else")
    result = devtray("status", "--json")
    assert result.returncode == 0, result.stderr
    vms = json.loads(result.stdout)
    assert {vm["id"] for vm in vms} == mine
    for vm in vms:
        assert {"provider", "id", "name", "region", "state", "size", "launched_at"} <= set(vm)
        assert vm["provider"] == "aws" and vm["region"] == "eu-west-1"
        assert vm["state"] == "running" and vm["size"] == "t3.micro"
        launched = datetime.fromisoformat(vm["launched_at"])
        assert abs(datetime.now(UTC) - launched) < timedelta(minutes=5)


def test_status_table_is_aligned(moto: MotoEndpoint) -> None:
    run_instance("web")
    run_instance("database-server", instance_type="t3.small")
    result = devtray("status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "NAME",
        "ID",
        "CLOUD",
        "REGION",
        "STATE",
        "SIZE",
        "UPTIME",
        "ADDRESS",
    ]
    state_column = lines[0].index("STATE")
    assert all(line[state_column:].startswith("running") for line in lines[1:])


def test_resize_running_vm_with_yes(moto: MotoEndpoint, config_file: Path) -> None:
    fast_polling(config_file)
    vm_id = run_instance("web")
    result = devtray("resize", "t3.large", "web", "--yes")
    assert result.returncode == 0, result.stderr
    assert "web: t3.micro -> t3.large (stops the VM, then starts it again)" in result.stderr
    assert "stopping" in result.stderr and "starting" in result.stderr
    assert result.stdout.strip() == "web is t3.large, running."
    instance = describe(vm_id)
    assert instance["InstanceType"] == "t3.large"
    assert instance["State"] == {"Code": 16, "Name": "running"}


def test_resize_to_arm_type_refuses_before_stopping(moto: MotoEndpoint) -> None:
    vm_id = run_instance("web")
    result = devtray("resize", "t4g.large", "web", "--yes")
    assert result.returncode == 2
    assert "t4g.large runs arm64 but web is x86_64" in result.stderr
    assert "Traceback" not in result.stderr
    instance = describe(vm_id)
    assert instance["InstanceType"] == "t3.micro"
    assert instance["State"] == {"Code": 16, "Name": "running"}


def test_resize_without_yes_and_without_terminal_asks_for_yes(moto: MotoEndpoint) -> None:
    vm_id = run_instance("web")
    result = devtray("resize", "t3.large", stdin="")
    assert result.returncode == 2
    assert "Add --yes" in result.stderr
    assert describe(vm_id)["InstanceType"] == "t3.micro"


def test_stop_and_start_with_wait(moto: MotoEndpoint, config_file: Path) -> None:
    fast_polling(config_file)
    vm_id = run_instance("web")
    stopped = devtray("stop", "--wait")
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == "web is stopped."
    assert describe(vm_id)["State"] == {"Code": 80, "Name": "stopped"}
    started = devtray("start", vm_id, "--wait")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "web is running."


def test_sizes_marks_the_current_one(moto: MotoEndpoint) -> None:
    run_instance("graviton", instance_type="t4g.small", image=ARM_IMAGE)
    result = devtray("sizes")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    assert any(row.startswith("* t4g.small") for row in rows)
    assert all("arm64" in row for row in rows[1:-1])


def test_ambiguous_and_unknown_vm_names_list_choices(moto: MotoEndpoint) -> None:
    first, second = run_instance("web"), run_instance("web")
    ambiguous = devtray("stop", "web")
    assert ambiguous.returncode == 2
    assert first in ambiguous.stderr and second in ambiguous.stderr
    unknown = devtray("stop", "nope")
    assert unknown.returncode == 2  # a usage error, as an ambiguous name is
    assert "No VM of yours is called 'nope'" in unknown.stderr
    assert first in unknown.stderr and second in unknown.stderr
    no_name = devtray("start")
    assert no_name.returncode == 2 and "You have 2 VMs; name one" in no_name.stderr


def test_bad_config_is_exit_2_with_file_and_key(moto: MotoEndpoint, config_file: Path) -> None:
    config_file.write_text("[aws]\nregoin = 'eu-west-1'\n")
    result = devtray("status")
    assert result.returncode == 2
    assert f"error: {config_file}: unknown key aws.regoin" in result.stderr
    assert "Allowed keys in [aws]" in result.stderr
    assert "Traceback" not in result.stderr


def test_expired_sso_login_is_exit_3_naming_the_command(
    moto: MotoEndpoint, config_file: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real botocore SSO profile whose cached token has expired: botocore refuses before
    any request leaves the machine, and devtray turns that into exit code 3."""
    aws_config = Path(os.environ["AWS_CONFIG_FILE"])
    aws_config.parent.mkdir(parents=True)
    aws_config.write_text(
        "[profile dev]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 111122223333\nsso_role_name = Developer\nregion = eu-west-1\n"
    )
    from desktop.providers.aws.sso import cache_file, read_sso_profile

    cache = cache_file(read_sso_profile("dev"), isolated_home)
    cache.parent.mkdir(parents=True)
    cache.write_text(
        json.dumps(
            {
                "startUrl": "https://corp.awsapps.com/start",
                "region": "us-east-1",
                "accessToken": "old",
                "expiresAt": "2020-01-01T00:00:00Z",
            }
        )
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    config_file.write_text("[aws]\nprofile = 'dev'\nowner = 'alice'\n")
    result = devtray("status")
    assert result.returncode == 3, result.stderr
    assert "devtray sign-in aws --profile dev" in result.stderr
    assert "Traceback" not in result.stderr


def test_doctor_reports_each_check(moto: MotoEndpoint) -> None:
    run_instance("web")
    result = devtray("doctor")
    lines = result.stdout.splitlines()
    by_subject = {line[5:19].strip(): line[:5].strip() for line in lines}
    assert by_subject["config"] == "OK"
    assert by_subject["aws sign-in"] == "OK"
    assert by_subject["aws VMs"] == "OK"
    assert "1 found in eu-west-1: web" in result.stdout
    for tool in ("ssh", "rsync", "mutagen", "code", "pycharm"):
        assert tool in by_subject
    # Optional tools that are missing are marked `--`, and carry how to install them.
    assert by_subject["mutagen"] in ("OK", "--")
    if by_subject["code"] == "--":
        assert "code.visualstudio.com" in result.stdout


def test_doctor_without_vms_fails(moto: MotoEndpoint) -> None:
    result = devtray("doctor")
    assert result.returncode == 1
    assert "none found in eu-west-1" in result.stdout


def test_resize_on_a_terminal_asks_then_shows_progress(
    moto: MotoEndpoint, config_file: Path
) -> None:
    """On a TTY the resize asks before stopping and redraws one progress line in place."""
    import pty
    import select
    import time

    fast_polling(config_file)
    vm_id = run_instance("web")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "resize", "t3.medium"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=os.environ.copy(),
        close_fds=True,
    )
    os.close(follower)
    output = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"[y/N]" in output:
            os.write(leader, b"y\n")
            answered = True
        if process.poll() is not None and not ready:
            break
    process.wait(timeout=30)
    os.close(leader)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert "Stop web and resize? [y/N]" in text
    assert "\r\x1b[K" in text  # the progress line is redrawn in place
    assert "web: stopping" in text and "web: starting" in text
    assert describe(vm_id)["InstanceType"] == "t3.medium"


def test_resize_answered_no_changes_nothing(moto: MotoEndpoint) -> None:
    import pty

    vm_id = run_instance("web")
    leader, follower = pty.openpty()
    os.write(leader, b"n\n")
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "resize", "t3.medium"],
        stdin=follower,
        capture_output=True,
        text=True,
        timeout=60,
    )
    os.close(follower)
    os.close(leader)
    assert result.returncode == 1
    assert "Nothing changed." in result.stderr
    assert describe(vm_id)["InstanceType"] == "t3.micro"
