"""`devtray` picks the tray or the CLI; the CLI never pays for Qt."""

from __future__ import annotations

import os
import subprocess
import sys

from desktop.app import TRAY_FLAGS


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_commands_do_not_import_qt() -> None:
    result = run(
        "import sys\n"
        "from desktop.app import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('PySide6' in sys.modules, any(m.startswith('desktop.qt') for m in sys.modules))\n"
    )
    assert result.stdout.strip().endswith("False False"), result.stderr


def test_tray_flags() -> None:
    assert {"--demo", "--quit-after-startup"} == TRAY_FLAGS


def test_demo_tray_starts_and_reports_its_start_up_time() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--demo", "--quit-after-startup"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("devtray started in ")
    assert result.stdout.strip().endswith(" ms")
