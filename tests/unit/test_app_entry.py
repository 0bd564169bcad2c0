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


def offscreen(*python_args: str) -> subprocess.CompletedProcess[str]:
    """Python with these arguments, on Qt's offscreen platform."""
    return subprocess.run(
        [sys.executable, *python_args],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_tray_starts_and_reports_its_start_up_time() -> None:
    result = offscreen("-m", "desktop", "--demo", "--quit-after-startup")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("devtray started in ")
    assert result.stdout.strip().endswith(" ms")


def test_the_started_tray_has_not_loaded_what_only_a_click_or_a_boot_needs() -> None:
    """The tray stays resident all day (issue 3: peak RSS <= 1.5x a bare tray): the Spending
    window and its chart load when it opens; the demo VM's web server (`http.server`, which pulls
    in `ssl` and OpenSSL's libssl) when that VM boots."""
    late = ("desktop.qt.spending_window", "http.server", "ssl")
    result = offscreen(
        "-c",
        "import os, sys\n"
        "exit_now = os._exit\n"
        "def report(code):\n"
        f"    print(*[m for m in {late!r} if m in sys.modules], 'exit', code, flush=True)\n"
        "    exit_now(code)\n"
        "os._exit = report\n"
        "from desktop.app import main\n"
        "main(['--demo', '--quit-after-startup'])\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "exit 0", result.stdout
