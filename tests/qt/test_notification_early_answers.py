"""Button presses that arrive before their notification's id: kept briefly and few at most.

Some notification servers broadcast ActionInvoked to every client, so the tray also hears other
applications' presses, for ids it will never know. The notifier here is a boundary fake (the
real one needs a session bus and a server, see test_notification_actions.py) that behaves
like such a server: it delivers a press before Notify's reply, and broadcasts foreign ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from desktop.core.autostop_store import AutostopStore
from desktop.core.model import VmState
from desktop.qt.cost_autostop import EARLY_ANSWER_TTL, EARLY_ANSWERS_KEPT
from tests.qt.conftest import Harness
from tests.qt.test_cost_autostop import TZ, VM, FakeClock, FakeSync, build, tick_until
from tests.qt.test_tray import wait_for_state

OUR_ID = 7


class BroadcastingNotifier(QObject):
    """Boundary fake of `ActionNotifier` on a server that broadcasts ActionInvoked."""

    action_invoked = Signal(int, str)

    def __init__(self, press: str) -> None:
        super().__init__()
        self.press = press

    def notify(
        self, title: str, body: str, actions: Sequence[tuple[str, str]], replaces: int = 0
    ) -> int:
        # The press travels faster than Notify's reply (they are separate D-Bus messages).
        self.action_invoked.emit(OUR_ID, self.press)
        return OUR_ID

    def withdraw(self, notification: int) -> None:
        pass  # nothing is on a screen

    def close(self) -> None:
        pass


def test_foreign_presses_are_capped_and_expire_but_ours_still_counts(
    qtbot: QtBot, make_tray: Callable[..., Harness], tmp_path: Path
) -> None:
    notifier = BroadcastingNotifier("autostop-keep")
    clock = FakeClock(datetime(2026, 11, 2, 18, 30, tzinfo=TZ))  # a Monday
    harness, watch = build(make_tray, tmp_path, clock, FakeSync(), notifier)  # type: ignore[arg-type]
    wait_for_state(qtbot, harness, VmState.RUNNING)

    for foreign in range(100, 140):  # other applications' buttons
        notifier.action_invoked.emit(foreign, "default")
    assert len(watch._early_answers) == EARLY_ANSWERS_KEPT
    assert min(watch._early_answers) == 140 - EARLY_ANSWERS_KEPT  # the newest are kept

    clock.now += EARLY_ANSWER_TTL + timedelta(seconds=1)
    notifier.action_invoked.emit(200, "default")
    assert list(watch._early_answers) == [200]

    # Our own warning's press, arriving before its id, is still applied.
    with qtbot.waitSignal(watch.notified, timeout=5000):
        tick_until(qtbot, watch, clock, datetime(2026, 11, 2, 18, 46, tzinfo=TZ))
    store = AutostopStore(tmp_path / "autostop.json")
    qtbot.waitUntil(lambda: store.load(VM).keep_running_until is not None, timeout=5000)
    assert OUR_ID not in watch._early_answers
