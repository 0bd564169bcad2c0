""" "Set up your day" opened by the tray itself, once: the first time it sees my VMs and no
project (signed in, not the demo), whether at start-up or right after a sign-in in its window.

Whether it was offered before is devtray's own state (`FirstRunStore`), read on a worker and
written as the window opens. The offer is decided the moment the last of its inputs arrives —
the cloud's answer, my projects, that state — and is made at most once per tray and once for
good: closing the window without saving does not bring it back (the menu's row stays).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from desktop.core.errors import DevtrayError
from desktop.presentation.day_rows import offers_day_setup
from desktop.services.first_run import FirstRunStore

if TYPE_CHECKING:
    from desktop.qt.day_actions import DayActions

log = logging.getLogger(__name__)


class DaySetupOffer:
    """Opens the Set up your day window by itself when the first run calls for it."""

    def __init__(self, actions: DayActions, store: FirstRunStore) -> None:
        self._actions = actions
        self._store = store
        self._offered: bool | None = None  # unknown until the store is read
        self._projects_known = False
        controller = actions.tray.controller
        controller.view_changed.connect(lambda _view: self.consider())
        controller.bridge.submit(store.day_setup_offered, self._heard_offered, self._unreadable)

    @property
    def settled(self) -> bool:
        """True once the offer could be decided: the cloud answered, my projects and the
        stored state are known (it was made then, or will not be)."""
        view = self._actions.tray.controller.view
        return self._offered is not None and self._projects_known and view.loaded

    def projects_loaded(self) -> None:
        """My projects are known (the first load after start-up finished)."""
        self._projects_known = True
        self.consider()

    def _heard_offered(self, offered: bool) -> None:
        self._offered = offered
        self.consider()

    def _unreadable(self, error: BaseException) -> None:
        log.warning("first-run state not read (%s): Set up your day is not offered", error)
        self._offered = True

    def consider(self) -> None:
        """Open Set up your day if now is the first time it is called for."""
        if self._offered is not False or not self._projects_known:
            return
        if not offers_day_setup(self._actions.day.panel, self._actions.tray.controller.view):
            return
        self._offered = True
        log.info("first run: Set up your day opens by itself")
        # Written here, not on a worker: a queued job is dropped when the tray quits, and a
        # quit right after closing the window would then offer it again. One small file, once.
        try:
            self._store.remember_day_setup_offered()
        except (DevtrayError, OSError) as exc:
            log.warning("Set up your day's offer not remembered: %s", exc)
        self._actions.set_up_day()
