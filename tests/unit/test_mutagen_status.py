"""Mutagen's `sync list --template '{{json .}}'` output (recorded shapes) mapped to SyncStatus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop.core.sync_state import SyncPhase
from desktop.remote.sync.mutagen import parse_version, status_from_sessions

DATA = Path(__file__).parent.parent / "data" / "mutagen"


def sessions(name: str) -> list[dict[str, Any]]:
    """One recorded `mutagen sync list --template '{{json .}}'` output."""
    data: list[dict[str, Any]] = json.loads((DATA / name).read_text())
    return data


@pytest.mark.parametrize(
    ("fixture", "phase"),
    [
        ("watching.json", SyncPhase.WATCHING),
        ("staging.json", SyncPhase.SYNCING),
        ("disconnected.json", SyncPhase.OFFLINE),
        ("paused.json", SyncPhase.PAUSED),
        ("halted.json", SyncPhase.ERROR),
        ("conflicts.json", SyncPhase.WATCHING),
        ("problems.json", SyncPhase.WATCHING),
        ("empty.json", SyncPhase.ERROR),
    ],
)
def test_each_recorded_state_maps_to_a_phase(fixture: str, phase: SyncPhase) -> None:
    assert status_from_sessions(sessions(fixture)).phase is phase


def test_details_survive_the_mapping() -> None:
    staging = status_from_sessions(sessions("staging.json"))
    assert staging.syncing_files == 17
    assert staging.has_unsynced_changes
    offline = status_from_sessions(sessions("disconnected.json"))
    assert offline.reason is not None
    assert "Connection refused" in offline.reason
    assert status_from_sessions(sessions("halted.json")).reason == "Mutagen halted: root emptied"
    conflicts = status_from_sessions(sessions("conflicts.json"))
    assert conflicts.conflicts == ("src/settings.py",)
    problems = status_from_sessions(sessions("problems.json"))
    assert problems.reason == "secrets/key.pem: unable to open file: permission denied"


def test_versions() -> None:
    assert parse_version("0.18.1\n") == (0, 18, 1)
    assert parse_version("Mutagen version 0.17.6-beta") == (0, 17, 6)
    assert parse_version("garbage") is None
