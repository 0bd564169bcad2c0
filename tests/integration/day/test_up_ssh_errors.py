"""Issue 12 item 19: `devtray up` against an SSH error that will not go away says what ssh
answered and stops early, instead of three minutes of silence."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.connect_helpers import moto_vm
from tests.integration.day.helpers import make_project, other_key
from tests.moto_server import MotoEndpoint
from tests.sshd import SshServer


def test_up_stops_early_on_a_refused_key_and_says_why(
    moto: MotoEndpoint, sshd: SshServer, config_file: Path, tmp_path: Path
) -> None:
    moto_vm("devbox")
    project, _ = make_project(tmp_path, config_file, sshd)
    text = config_file.read_text().replace(str(sshd.client_key), str(other_key(tmp_path)))
    config_file.write_text(text)
    began = time.monotonic()

    # Before the fix `up` waited the full 180 s: the timeout below fails that.
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "up", str(project)],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
        stdin=subprocess.DEVNULL,
    )

    assert time.monotonic() - began < 60
    assert result.returncode == 1
    assert "Permission denied" in result.stderr
    assert "ssh answered: " in result.stderr  # said while waiting, not only at the end
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
