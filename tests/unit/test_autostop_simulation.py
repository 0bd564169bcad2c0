"""The four-week simulation keeps meeting its targets (a regression guard for the policy)."""

from __future__ import annotations

import importlib.util
import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "autostop_simulation.py"


@pytest.mark.parametrize("seed", [7, 11])
def test_simulation_meets_its_targets(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("autostop_simulation", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    out = io.StringIO()
    with redirect_stdout(out):
        code = module.main(["--seed", str(seed)])
    report = out.getvalue()
    assert "Target: zero stops while active: 0 (met)" in report, report
    assert "idle hours removed vs always-on" in report
    assert code == 0, report
