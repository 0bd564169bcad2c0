"""Cost Explorer through botocore's Stubber (it checks each request against the real CE service
model): the exact request, the answers that mean "unavailable", and the caching policy that
keeps a $0.01-a-request API to about one request a day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from desktop.core.billed import BilledCosts, BilledScope, BilledUnavailable
from desktop.providers.aws.billing import (
    MAX_REQUESTS_PER_DAY,
    VM_SERVICES,
    CostExplorerBills,
    billed_window,
    cost_request,
)
from desktop.providers.aws.calls import AwsCalls, RetryPolicy

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REQUEST = cost_request("Owner", "alice", date(2026, 10, 24), date(2026, 11, 23))


def daily(start: date, amounts: list[float], unit: str = "USD") -> list[dict[str, Any]]:
    """ResultsByTime as Cost Explorer answers a DAILY request without GroupBy."""
    return [
        {
            "TimePeriod": {
                "Start": (start + timedelta(days=i)).isoformat(),
                "End": (start + timedelta(days=i + 1)).isoformat(),
            },
            "Total": {"UnblendedCost": {"Amount": f"{amount:.10f}", "Unit": unit}},
            "Groups": [],
            "Estimated": True,
        }
        for i, amount in enumerate(amounts)
    ]


@pytest.fixture
def ce() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("ce", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_error(stubber: Stubber, code: str, message: str = "", **params: Any) -> None:
    """Cost Explorer refuses the next request (made with `params`, if given) with `code`."""
    stubber.add_client_error(
        "get_cost_and_usage",
        service_error_code=code,
        service_message=message,
        http_status_code=400,
        expected_params=params or None,
    )


def make_bills(client: Any, tmp_path: Path, clock: list[datetime]) -> CostExplorerBills:
    return CostExplorerBills(
        lambda: client,
        AwsCalls("sign in", RetryPolicy(attempts=1), sleep=lambda _s: None),
        cache_path=tmp_path / "cache" / "aws-billed.json",
        clock=lambda: clock[0],
    )


def test_the_request_asks_daily_vm_costs_of_my_tag_for_the_month_and_30_days() -> None:
    assert billed_window(date(2026, 11, 23)) == (date(2026, 10, 24), date(2026, 11, 23))
    # On the 31st the month's first day is the earlier one.
    assert billed_window(date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert {
        "TimePeriod": {"Start": "2026-10-24", "End": "2026-11-23"},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
        "Filter": {
            "And": [
                {"Tags": {"Key": "Owner", "Values": ["alice"], "MatchOptions": ["EQUALS"]}},
                {
                    "Dimensions": {
                        "Key": "SERVICE",
                        "Values": list(VM_SERVICES),
                        "MatchOptions": ["EQUALS"],
                    }
                },
            ]
        },
    } == REQUEST


def test_billed_days_are_those_a_whole_day_old_and_cached_for_the_day(
    ce: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = ce
    amounts = [1.0] * 29 + [0.4]  # 24 Oct .. 22 Nov; 22 Nov is still being counted
    stubber.add_response(
        "get_cost_and_usage", {"ResultsByTime": daily(date(2026, 10, 24), amounts)}, REQUEST
    )
    clock = [NOW]
    bills = make_bills(client, tmp_path, clock)
    answer = bills.for_owner("Owner", "alice", ["i-1"])
    assert isinstance(answer, BilledCosts)
    assert answer.through == date(2026, 11, 21)
    assert answer.scope is BilledScope.OWNER
    assert answer.scope_label == "EC2 and VPC costs tagged Owner=alice"
    assert answer.vm_ids == {"i-1"}
    assert answer.days[-1].day == date(2026, 11, 21)
    assert answer.month_to_date(date(2026, 11, 1)) == pytest.approx(21.0)
    assert answer.fetched_at == NOW

    # The rest of the day, and in a new process, the answer comes from disk: no request
    # (the Stubber would fail on an unexpected call).
    clock[0] = NOW + timedelta(hours=14)
    again = make_bills(client, tmp_path, clock).for_owner("Owner", "alice", ["i-1", "i-2"])
    assert isinstance(again, BilledCosts)
    assert again.through == date(2026, 11, 21) and again.vm_ids == {"i-1", "i-2"}
    saved = json.loads((tmp_path / "cache" / "aws-billed.json").read_text())
    assert saved["requests"] == [NOW.isoformat()]


def test_a_new_utc_day_asks_again(ce: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = ce
    clock = [datetime(2026, 11, 23, 23, 0, tzinfo=UTC)]
    stubber.add_response(
        "get_cost_and_usage", {"ResultsByTime": daily(date(2026, 10, 24), [1.0] * 30)}, REQUEST
    )
    tomorrow = cost_request("Owner", "alice", date(2026, 10, 25), date(2026, 11, 24))
    stubber.add_response(
        "get_cost_and_usage", {"ResultsByTime": daily(date(2026, 10, 25), [2.0] * 30)}, tomorrow
    )
    first = make_bills(client, tmp_path, clock).for_owner("Owner", "alice", ["i-1"])
    clock[0] = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    second = make_bills(client, tmp_path, clock).for_owner("Owner", "alice", ["i-1"])
    assert isinstance(first, BilledCosts) and isinstance(second, BilledCosts)
    assert (first.through, second.through) == (date(2026, 11, 21), date(2026, 11, 22))


def test_no_permission_is_said_once_and_remembered_for_the_day(
    ce: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = ce
    denied = "User alice is not authorized to perform: ce:GetCostAndUsage"
    expect_error(stubber, "AccessDeniedException", denied, **REQUEST)
    clock = [NOW]
    answer = make_bills(client, tmp_path, clock).for_owner("Owner", "alice", ["i-1"])
    assert answer == BilledUnavailable(
        "AWS Cost Explorer", "no permission ce:GetCostAndUsage (ask your AWS administrator)"
    )
    clock[0] = NOW + timedelta(hours=3)
    assert make_bills(client, tmp_path, clock).for_owner("Owner", "alice", ["i-1"]) == answer


def test_data_unavailable_and_untagged_costs_say_what_to_do(
    ce: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = ce
    expect_error(stubber, "DataUnavailableException", "Data is not available.", **REQUEST)
    answer = make_bills(client, tmp_path, [NOW]).for_owner("Owner", "alice", ["i-1"])
    assert isinstance(answer, BilledUnavailable)
    assert answer.reason.startswith("Cost Explorer has no data for this account yet")

    # An account with data but no costs under the tag: the tag is not a cost allocation tag.
    bob = cost_request("Owner", "bob", date(2026, 10, 24), date(2026, 11, 23))
    stubber.add_response(
        "get_cost_and_usage", {"ResultsByTime": daily(date(2026, 10, 24), [0.0] * 30)}, bob
    )
    answer = make_bills(client, tmp_path, [NOW]).for_owner("Owner", "bob", ["i-2"])
    assert answer == BilledUnavailable(
        "AWS Cost Explorer",
        "no costs carry the tag Owner: activate the cost allocation tag 'Owner' in Billing "
        "(it applies within 24 h)",
    )


def test_offline_falls_back_to_yesterdays_answer_and_does_not_retry(
    ce: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = ce
    yesterday = NOW - timedelta(days=1)
    old = cost_request("Owner", "alice", date(2026, 10, 23), date(2026, 11, 22))
    stubber.add_response(
        "get_cost_and_usage", {"ResultsByTime": daily(date(2026, 10, 23), [1.0] * 30)}, old
    )
    make_bills(client, tmp_path, [yesterday]).for_owner("Owner", "alice", ["i-1"])
    expect_error(stubber, "ThrottlingException", **REQUEST)
    bills = make_bills(client, tmp_path, [NOW])
    stale = bills.for_owner("Owner", "alice", ["i-1"])
    assert isinstance(stale, BilledCosts)
    assert stale.through == date(2026, 11, 20) and stale.fetched_at == yesterday
    # The same process does not ask again (no stubbed response is left for it).
    assert bills.for_owner("Owner", "alice", ["i-1"]) == stale


def test_offline_without_an_earlier_answer_is_unavailable(
    ce: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = ce
    expect_error(stubber, "ThrottlingException")
    answer = make_bills(client, tmp_path, [NOW]).for_owner("Owner", "alice", ["i-1"])
    assert isinstance(answer, BilledUnavailable)
    assert "throttling" in answer.reason


def test_at_most_a_few_requests_a_day_whatever_the_cache_says(
    ce: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = ce
    clock = [NOW]
    for _ in range(MAX_REQUESTS_PER_DAY):
        stubber.add_response(
            "get_cost_and_usage", {"ResultsByTime": daily(date(2026, 10, 24), [1.0] * 30)}
        )
        make_bills(client, tmp_path, clock).for_owner("Owner", "alice", ["i-1"])
        # Someone deletes the answers (not the request ledger) between runs.
        path = tmp_path / "cache" / "aws-billed.json"
        data = json.loads(path.read_text())
        path.write_text(json.dumps({"requests": data["requests"]}))
        clock[0] += timedelta(minutes=10)
    answer = make_bills(client, tmp_path, clock).for_owner("Owner", "alice", ["i-1"])
    assert isinstance(answer, BilledUnavailable)
    assert answer.reason.startswith(f"Cost Explorer was asked {MAX_REQUESTS_PER_DAY} times in 24 h")
    # A day after the first request, one may go out again.
    stubber.add_response(
        "get_cost_and_usage", {"ResultsByTime": daily(date(2026, 10, 25), [1.0] * 30)}
    )
    clock[0] = NOW + timedelta(days=1, minutes=1)
    assert isinstance(
        make_bills(client, tmp_path, clock).for_owner("Owner", "alice", ["i-1"]), BilledCosts
    )


def test_pages_are_followed_and_each_counts_as_a_request(
    ce: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = ce
    stubber.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": daily(date(2026, 10, 24), [1.0] * 15), "NextPageToken": "page2"},
        REQUEST,
    )
    stubber.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": daily(date(2026, 11, 8), [2.0] * 15, unit="EUR")},
        {**REQUEST, "NextPageToken": "page2"},
    )
    answer = make_bills(client, tmp_path, [NOW]).for_owner("Owner", "alice", ["i-1"])
    assert isinstance(answer, BilledCosts)
    assert answer.currency == "EUR"
    assert answer.month_to_date(date(2026, 11, 1)) == pytest.approx(7 * 1.0 + 14 * 2.0)
    saved = json.loads((tmp_path / "cache" / "aws-billed.json").read_text())
    assert len(saved["requests"]) == 2


def test_a_garbled_cache_file_is_ignored(ce: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = ce
    path = tmp_path / "cache" / "aws-billed.json"
    path.parent.mkdir()
    path.write_text('{"answers": {"Owner=alice": {"at": "yesterday"}}, "requests": ["x", 3]}')
    stubber.add_response(
        "get_cost_and_usage", {"ResultsByTime": daily(date(2026, 10, 24), [1.0] * 30)}, REQUEST
    )
    answer = make_bills(client, tmp_path, [NOW]).for_owner("Owner", "alice", ["i-1"])
    assert isinstance(answer, BilledCosts)


def test_a_client_that_cannot_be_made_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    from botocore.exceptions import UnknownServiceError

    def no_model() -> Any:
        raise UnknownServiceError(service_name="ce", known_service_names="ec2")

    bills = CostExplorerBills(
        no_model, AwsCalls("sign in"), cache_path=tmp_path / "billed.json", clock=lambda: NOW
    )
    answer = bills.for_owner("Owner", "alice", ["i-1"])
    assert answer == BilledUnavailable(
        "AWS Cost Explorer", "Cost Explorer could not be read (details in the log)"
    )
