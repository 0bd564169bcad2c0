"""A private X server (Xvfb) on a free display number, for tests and benchmarks of the GUI."""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


def stop_process(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """Terminate, wait a little, then kill: a helper process never outlives its test."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def xvfb_display(size: str = "1024x768x24", timeout: float = 10.0) -> Iterator[str]:
    """Start Xvfb (no TCP), yield its DISPLAY (":N"), stop it afterwards."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=[write_fd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        # Xvfb writes the display number it picked once it accepts clients (bounded wait).
        ready, _, _ = select.select([read_fd], [], [], timeout)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number:
            raise RuntimeError("Xvfb did not report its display number")
        yield f":{number}"
    finally:
        os.close(read_fd)
        stop_process(server)
