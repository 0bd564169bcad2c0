"""`devtray cost`, `devtray autostop` and the checks `devtray agent` makes, on a moto VM."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.app import build_services
from desktop.cli.cost_commands import parse_duration
from desktop.cli.main import main
from desktop.core import errors
from desktop.core.autostop_store import AutostopStore
from desktop.providers.aws.pricing import PriceTable
from tests.integration.test_aws_cost import run_doomed_instance
from tests.moto_server import MotoEndpoint, ec2_client, run_instance


def devtray(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), build_services, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def aws_config(config_file: Path, moto: MotoEndpoint) -> Path:
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    return config_file


def test_cost_of_a_running_vm(aws_config: Path) -> None:
    vm_id = run_instance("dev", instance_type="t3.large")
    code, out, err = devtray("cost", "--json", "--days", "3")
    assert code == 0, err
    data = json.loads(out)
    assert data["id"] == vm_id
    assert data["hourly_cost"] > PriceTable.load().on_demand["eu-west-1"]["t3.large"]
    assert data["stopped_cost_per_day"] > 0
    # The record began just now: one day is listed, none invented before it.
    assert [day["date"] for day in data["days"]] == [data["days_known_since"]]

    code, out, err = devtray("cost", "dev")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"dev ({vm_id}), t3.large, running"
    assert lines[1].startswith("$0.")
    assert "/h · today $0.00 (estimate" in lines[1]
    assert any(line.startswith("Stopped, it would still cost $") for line in lines)


def test_cost_of_a_stopped_vm_says_what_it_still_costs(aws_config: Path) -> None:
    vm_id = run_instance("dev", instance_type="t3.large")
    ec2_client().stop_instances(InstanceIds=[vm_id])
    code, out, err = devtray("cost")
    assert code == 0, err
    assert "Stopped, still costs $" in out
    assert "/day (disks, IP)" in out


def test_autostop_status_snooze_keep_running_and_resume(aws_config: Path) -> None:
    vm_id = run_instance("dev")
    ec2_client().stop_instances(InstanceIds=[vm_id])  # a stopped VM: nothing to reach by SSH
    code, out, err = devtray("autostop", "status")
    assert code == 0, err
    assert out.splitlines()[0] == (
        "End of day: mon 19:00, tue 19:00, wed 19:00, thu 19:00, fri 19:00 (local time), "
        "warned 15 min before."
    )
    assert "dev is stopped." in out

    code, out, err = devtray("autostop", "snooze", "2h", "dev")
    assert code == 0, err
    assert out.startswith("Snoozed: the VM keeps running until at least ")
    snooze = AutostopStore().load(vm_id).snooze_until
    assert snooze is not None
    assert abs(snooze - (datetime.now(UTC) + timedelta(hours=2))) < timedelta(minutes=1)

    code, out, err = devtray("autostop", "keep-running")
    assert code == 0, err
    assert out.startswith("The VM keeps running tonight (until ")
    assert AutostopStore().load(vm_id).keep_running_until is not None

    code, out, _err = devtray("autostop", "resume")
    assert out == "Auto-stop is back on.\n"
    assert AutostopStore().load(vm_id).snooze_until is None


def test_autostop_running_vm_shows_the_next_stop(aws_config: Path) -> None:
    # An hour from now every day (a fixed 23:59 had just passed for a run at 23:59).
    at = (datetime.now() + timedelta(hours=1)).strftime("%H:%M")
    (aws_config.parent / "config.toml").write_text(
        '[aws]\nregion = "eu-west-1"\n[autostop]\nidle_minutes = 30\n'
        + "".join(f'{day} = "{at}"\n' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    )
    run_instance("dev")
    code, out, err = devtray("autostop", "status")
    assert code == 0, err
    assert "Idle rule: 30 idle minutes by day, 15 after hours." in out
    assert "dev: stops at " in out


def test_bad_snooze_durations_are_usage_errors(aws_config: Path) -> None:
    run_instance("dev")
    code, _out, err = devtray("autostop", "snooze", "soon")
    assert code == 2
    assert err == "error: 'soon' is not a duration\n  Write it like 30m, 1h or 2h.\n"
    assert parse_duration("90min") == timedelta(minutes=90)
    with pytest.raises(errors.UsageError, match="1 minute to 12 hours"):
        parse_duration("13h")


def test_agent_needs_a_running_vm(aws_config: Path) -> None:
    vm_id = run_instance("dev")
    ec2_client().stop_instances(InstanceIds=[vm_id])
    code, _out, err = devtray("agent", "status")
    assert code == 1
    assert "dev is stopped; the agent is managed over SSH." in err


def test_agent_refuses_a_vm_a_shutdown_would_delete(aws_config: Path) -> None:
    run_doomed_instance("dev")
    code, _out, err = devtray("agent", "install")
    assert code == 1
    assert "in-OS shutdown behaviour is `terminate`: the idle agent would delete it" in err
