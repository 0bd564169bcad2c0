"""How to install a missing tool is said with the package manager of the platform devtray runs
on (the doctor's Linux run is tested in tests/integration/test_cli_help.py)."""

from __future__ import annotations

import pytest

from desktop.system.tools import TOOLS, tool_named


@pytest.mark.parametrize(
    ("platform", "says", "never"),
    [
        ("linux", "sudo apt install rsync", "brew"),
        ("darwin", "brew install rsync", "apt"),
        ("win32", "pacman -S rsync", "brew"),
    ],
)
def test_rsync_hint_follows_the_platform(platform: str, says: str, never: str) -> None:
    hint = tool_named("rsync").hint_for(platform)
    assert says in hint and never not in hint


def test_no_linux_hint_names_homebrew() -> None:
    assert [tool.name for tool in TOOLS if "brew" in tool.hint_for("linux")] == []
