"""A release build refuses the hand-entered price table; a generated one passes."""

from __future__ import annotations

import json
from pathlib import Path

from freeze import price_table_problem


def test_the_seed_table_is_refused_for_a_release(tmp_path: Path) -> None:
    table = tmp_path / "price_table.json"
    table.write_text(json.dumps({"generated_at": "seed", "on_demand": {}}), encoding="utf-8")
    problem = price_table_problem(table)
    assert problem is not None
    assert "generate_aws_price_table.py" in problem
    assert "pricing:GetProducts" in problem


def test_a_generated_table_may_ship(tmp_path: Path) -> None:
    table = tmp_path / "price_table.json"
    table.write_text(
        json.dumps({"generated_at": "2026-11-20T10:00:00+00:00", "on_demand": {}}),
        encoding="utf-8",
    )
    assert price_table_problem(table) is None


def test_an_unreadable_table_is_named(tmp_path: Path) -> None:
    table = tmp_path / "price_table.json"
    table.write_text("{not json", encoding="utf-8")
    problem = price_table_problem(table)
    assert problem is not None and str(table) in problem
