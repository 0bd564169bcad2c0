"""What start-up leaves to the garbage collector: once the cloud first answers, everything
alive then is frozen out of later collections, once (desktop/qt/launch.py)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from desktop.qt.launch import freeze_once_settled
from tests.qt.conftest import Harness


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()  # nothing else in the tests freezes: start from none, leave none
    yield
    gc.unfreeze()


def test_what_exists_at_the_first_answer_is_frozen_and_later_answers_freeze_nothing(
    qtbot: QtBot, make_tray: Callable[..., Harness], unfrozen: None
) -> None:
    harness = make_tray()
    freeze_once_settled(harness.controller)
    assert gc.get_freeze_count() == 0  # the first answer comes later, from a worker

    qtbot.waitUntil(lambda: harness.controller.view.loaded, timeout=5000)
    frozen = gc.get_freeze_count()
    assert frozen > 0
    # The next answer makes new objects (a new view): freezing again would count them.
    with qtbot.waitSignal(harness.controller.view_changed, timeout=5000):
        harness.controller.refresh_now()

    assert gc.get_freeze_count() <= frozen  # (frozen objects freed since count down)
