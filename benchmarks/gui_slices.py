"""What the GUI thread does, one event-loop slice at a time: a QApplication whose `notify`
times every event it delivers (wall and CPU time of the GUI thread) and names the Python code
that ran in it, plus the garbage collector's pauses.

Used by `day_clicks.py`; import it before anything builds a QApplication. CPU time
(`time.thread_time`) counts only this thread's work, so it barely moves when other processes
load the machine; wall time is what the person sees.
"""

from __future__ import annotations

import gc
import os
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

NAMED_CALLS = 4  # the first Python functions of a slice that name what it ran
# Frames that name nothing: this recorder's, the standard library's, generated dataclass code.
QUIET = (__file__, sysconfig.get_paths()["stdlib"], "<")


@dataclass(frozen=True)
class Slice:
    """One event delivered on the GUI thread."""

    wall_ms: float
    cpu_ms: float
    # Of the rest, the part the thread was ready but the kernel ran something else (the
    # machine's load); what remains it was blocked: mostly waiting for another thread to hand
    # over the GIL. Linux only (0 elsewhere).
    ready_ms: float
    event: str  # Qt's event type, e.g. MetaCall (a queued signal), Timer
    receiver: str  # the receiving object's class
    calls: tuple[str, ...]  # the first Python functions that ran, outermost first

    @property
    def blocked_ms(self) -> float:
        """Wall time neither running nor ready to run (waiting for the GIL, or I/O)."""
        return max(0.0, self.wall_ms - self.cpu_ms - self.ready_ms)

    def what(self) -> str:
        """`Timer QTimer: TrayApp._render_day, DayRunner.panel, …` (the first calls in the
        order they began: the slot first, then what it called first, not a stack)."""
        chain = ", ".join(self.calls) or "(no Python)"
        return f"{self.event} {self.receiver}: {chain}"


class SlicedApplication(QApplication):
    """A QApplication that records each outermost event it delivers while `recording` (a
    nested event loop's events count in the slice that started it)."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.recording = False
        self.slices: list[Slice] = []
        self.gc_pauses: list[tuple[int, float]] = []  # (generation, ms) on any thread
        self._depth = 0
        self._calls: list[str] = []
        self._gc_began = 0.0
        gc.callbacks.append(self._gc)
        self._schedstat = _SchedStat()

    @contextmanager
    def recorded(self) -> Iterator[None]:
        """Record slices and GC pauses inside the `with` block (both lists start empty)."""
        self.slices, self.gc_pauses = [], []
        self.recording = True
        try:
            yield
        finally:
            self.recording = False

    def notify(self, receiver: QObject, event: QEvent) -> bool:
        if not self.recording or self._depth:
            return super().notify(receiver, event)
        self._depth += 1
        self._calls = []
        sys.setprofile(self._name_calls)
        ready = self._schedstat.ready_ms()
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return super().notify(receiver, event)
        finally:
            cpu_ms = (time.thread_time() - cpu) * 1000
            wall_ms = (time.perf_counter() - wall) * 1000
            # The kernel books a wait when the thread next runs: a wait that began before
            # the slice can land in it, so it is capped at the slice's own idle time.
            ready = min(self._schedstat.ready_ms() - ready, max(0.0, wall_ms - cpu_ms))
            sys.setprofile(None)
            self._depth -= 1
            self.slices.append(
                Slice(
                    wall_ms,
                    cpu_ms,
                    ready,
                    event.type().name,
                    type(receiver).__name__,
                    tuple(self._calls),
                )
            )

    def _name_calls(self, frame: FrameType, kind: str, _arg: Any) -> None:
        # Only the first few Python calls: cheap, and they say which slot or callback ran.
        if kind != "call" or frame.f_code.co_filename.startswith(QUIET):
            return
        self._calls.append(frame.f_code.co_qualname)
        if len(self._calls) >= NAMED_CALLS:
            sys.setprofile(None)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if not self.recording:
            return
        if phase == "start":
            self._gc_began = time.perf_counter()
        else:
            self.gc_pauses.append(
                (info["generation"], (time.perf_counter() - self._gc_began) * 1000)
            )


class _SchedStat:
    """The GUI thread's time spent ready to run but waiting for a CPU, from the kernel's
    scheduler statistics (`/proc/self/task/TID/schedstat`, Linux); 0 where there are none."""

    def __init__(self) -> None:
        path = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
        self._fd = os.open(path, os.O_RDONLY) if path.exists() else None

    def ready_ms(self) -> float:
        """Milliseconds this thread has waited on the run queue so far."""
        if self._fd is None:
            return 0.0
        fields = os.pread(self._fd, 100, 0).split()
        return int(fields[1]) / 1e6
