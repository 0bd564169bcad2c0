"""Starting the tray where it cannot work: the real `devtray` as a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_without_a_display_the_tray_says_so_instead_of_blaming_xcb_cursor(
    isolated_home: Path,
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    result = subprocess.run(
        [sys.executable, "-m", "desktop"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "needs a graphical desktop" in result.stderr
    assert "neither DISPLAY nor WAYLAND_DISPLAY is set" in result.stderr
    assert "devtray --help" in result.stderr
    assert "xcb-cursor0" not in result.stderr and "Traceback" not in result.stderr
