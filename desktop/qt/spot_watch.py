"""Spot VMs in the tray: AWS's interruption notice reaches the person, and the work is saved.

Every few seconds, for each running spot VM, a worker reads the notice the VM's watcher
recorded (one short SSH command over the connection devtray already shares). A new
interruption notice shows a notification "AWS takes devbox back at 14:32 (in 1 min 50 s)",
brings the pull folders' results home first and then flushes sync (the sync service's
`bring_results_home`), and puts the deadline in the menu; a rebalance recommendation is said
once. Once AWS has stopped the VM, its row says that AWS restarts it when capacity returns (a
persistent spot request that stops).

For a VM whose cloud can switch markets (AWS, the demo), the menu offers "Switch to on-demand"
or "Switch to spot", keeping the disk: asked once (the old instance goes only after the new
one answers), carried out on a worker, with a message when it starts and when it is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QSystemTrayIcon

from desktop.core.humanize import printable
from desktop.core.model import Market, VmSnapshot, VmState
from desktop.core.provider import CancelToken, Provider
from desktop.core.spot import (
    MarketSwitcher,
    NoticeKind,
    SpotNotice,
    SshAnswers,
    SwitchResult,
    countdown,
)
from desktop.presentation.glance import TrayView
from desktop.presentation.menu import MenuItem, MenuSlot
from desktop.qt.controller import problem_for

if TYPE_CHECKING:
    from desktop.qt.tray import TrayApp

log = logging.getLogger(__name__)

# Reads a running spot VM's notice (None: none, or the VM could not be asked); on a worker.
NoticeProbe = Callable[[Provider | None, VmSnapshot], SpotNotice | None]
# Before AWS takes the VM: its pull folders home, then sync flushed; None when done, else why not.
Flush = Callable[[VmSnapshot], str | None]
# Asks the person (title, question): True for yes. A modal dialog: they started the action.
Ask = Callable[[str, str], bool]

# The watcher on the VM polls every 5 s: asking as often keeps notice-to-laptop under 10 s.
POLL_MS = 5_000
MESSAGE_MS = 30_000
# An interruption notice is kept this long past its deadline while the VM still shows running
# (the watcher goes down with the VM; the cloud's view of the stop may lag).
STALE_AFTER = timedelta(minutes=5)
_STOPPED = frozenset({VmState.STOPPING, VmState.STOPPED})


class SpotWatch(QObject):
    """Interruption and rebalance notices of every spot VM the tray shows."""

    changed = Signal()  # a notice came or went: menus re-render
    notified = Signal(str, str)  # title, message: a notification was shown
    flushed = Signal(str, str)  # vm id, "" when the flush finished, else why it could not

    slot = MenuSlot.COST

    def __init__(
        self,
        probe: NoticeProbe,
        flush: Flush,
        *,
        clock: Callable[[], datetime],
        tz: tzinfo,
        answers: SshAnswers = lambda _new: False,
        ask: Ask | None = None,
        poll_ms: int = POLL_MS,
    ) -> None:
        super().__init__()
        self._probe = probe
        self._flush = flush
        self._answers = answers
        self._ask_person = ask or _ask_with_dialog
        self._clock = clock
        self._tz = tz
        self._notices: dict[str, SpotNotice] = {}
        self._interrupted: set[str] = set()  # AWS stopped these after a notice
        self._asking: set[str] = set()  # a probe is on its way: no second one meanwhile
        self._tray: TrayApp | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.tick)

    # -- TrayExtension ------------------------------------------------------------------------

    def attach(self, tray: TrayApp) -> None:
        """Start polling the tray's spot VMs."""
        self._tray = tray
        tray.controller.view_changed.connect(self._view_changed)
        self.changed.connect(lambda: tray.render_view(tray.controller.view))
        self._timer.start()

    def detach(self) -> None:
        """Stop polling (the tray is quitting)."""
        self._timer.stop()

    def tooltip_lines(self, view: TrayView) -> Sequence[str]:
        """The deadline of each VM AWS is about to take back."""
        return [
            f"{printable(vm.name)}: {row.text}" for vm in view.vms for row in self._notice_rows(vm)
        ]

    # -- MenuContribution ---------------------------------------------------------------------

    def items(self, vm: VmSnapshot, view: TrayView) -> Sequence[MenuItem]:
        """The deadline while a notice stands, the wait for capacity after the interruption,
        and the market switch where the cloud offers one."""
        rows = list(self._notice_rows(vm))
        switch = self._switch_row(vm, view)
        return [*rows, switch] if switch else rows

    def _switch_row(self, vm: VmSnapshot, view: TrayView) -> MenuItem | None:
        if self._tray is None or vm.id in view.busy:
            return None
        provider = self._tray.controller.provider_for(vm.id)
        if not isinstance(provider, MarketSwitcher):
            return None
        target = Market.ON_DEMAND if vm.spot else Market.SPOT
        text = (
            self.tr("Switch to on-demand (keeps the disk)…")
            if vm.spot
            else self.tr("Switch to spot (keeps the disk)…")
        )
        tray = self._tray
        return MenuItem(
            text=text,
            key=f"market:{vm.id}",
            enabled=vm.state in (VmState.RUNNING, VmState.STOPPED),
            run=lambda: tray.controller.bridge.call_on_gui(
                lambda: self.switch_market(provider, vm, target)
            ),
        )

    def _notice_rows(self, vm: VmSnapshot) -> Sequence[MenuItem]:
        notice = self._notices.get(vm.id)
        if vm.id in self._interrupted and vm.state in _STOPPED:
            text = self.tr("Waiting for spot capacity — AWS restarts {name} when it can")
            return [MenuItem(text=text.format(name=printable(vm.name)), key=f"spot:{vm.id}")]
        if notice is None or vm.state is not VmState.RUNNING:
            return []
        when = notice.interruption_at
        if when is None:
            text = self.tr("AWS recommends moving off this spot VM (capacity is getting short)")
        else:
            text = self.tr("AWS takes it back at {time} (in {left})").format(
                time=self._local(when), left=countdown(when, self._clock())
            )
        return [MenuItem(text=text, key=f"spot:{vm.id}", enabled=False)]

    # -- market switch ------------------------------------------------------------------------

    def switch_market(self, provider: MarketSwitcher, vm: VmSnapshot, target: Market) -> None:
        """Ask, then move the VM to `target` on a worker (see the module docstring)."""
        assert self._tray is not None
        name = printable(vm.name)
        question = self.tr(
            "Move {name} to {market}, keeping its disk? It is stopped, imaged and launched "
            "again; the old instance is terminated once the new one answers over SSH."
        ).format(name=name, market=str(target))
        if not self._ask_person(self.tr("Switch market"), question):
            return
        controller = self._tray.controller
        self._notify(
            self.tr("Switch market"),
            self.tr("Moving {name} to {market}…").format(name=name, market=str(target)),
        )

        def work() -> SwitchResult:
            return provider.switch_market(
                vm.id,
                target,
                progress=lambda step, _detail: log.info("switch %s: %s", vm.id, step),
                answers=self._answers,
                confirm=lambda _old, _new: True,  # agreed above, before anything started
                cancel=CancelToken(),
            )

        def done(result: SwitchResult) -> None:
            self._notify(
                self.tr("Switch market"),
                self.tr("{name} is now {market}.").format(name=name, market=str(target)),
            )
            controller.refresh_now()

        def failed(error: BaseException) -> None:
            controller.problem_raised.emit(problem_for(error))
            controller.refresh_now()

        controller.bridge.submit(work, done, failed)

    # -- polling ------------------------------------------------------------------------------

    def tick(self) -> None:
        """Ask every running spot VM for its notice, on workers."""
        if self._tray is None:
            return
        for vm in self._tray.controller.view.vms:
            if vm.spot and vm.state is VmState.RUNNING and vm.id not in self._asking:
                self._ask(vm)

    def _ask(self, vm: VmSnapshot) -> None:
        assert self._tray is not None
        self._asking.add(vm.id)

        def done(notice: SpotNotice | None) -> None:
            self._asking.discard(vm.id)
            self._noticed(vm, notice)

        def failed(error: BaseException) -> None:
            self._asking.discard(vm.id)
            log.info("could not read %s's spot notice: %s", vm.id, error)

        provider = self._tray.controller.provider_for(vm.id)
        self._tray.controller.bridge.submit(lambda: self._probe(provider, vm), done, failed)

    def _view_changed(self, view: TrayView) -> None:
        for vm in view.vms:
            notice = self._notices.get(vm.id)
            if vm.state in _STOPPED and notice is not None and notice.interruption_at:
                self._interrupted.add(vm.id)
                del self._notices[vm.id]
                self.changed.emit()
            elif vm.state is VmState.RUNNING and vm.id in self._interrupted:
                self._interrupted.discard(vm.id)  # back: the day resumes (sync, tunnels)
                self.changed.emit()

    def _noticed(self, vm: VmSnapshot, notice: SpotNotice | None) -> None:
        old = self._notices.get(vm.id)
        if notice == old:
            return
        if notice is None and self._standing(old):
            return  # the VM is going down (its watcher with it): the view will show the stop
        if notice is None:
            self._notices.pop(vm.id, None)
        else:
            self._notices[vm.id] = notice
            self._announce(vm, notice, old)
        self.changed.emit()

    def _standing(self, notice: SpotNotice | None) -> bool:
        """True for an interruption notice whose deadline has not long passed."""
        when = notice.interruption_at if notice else None
        return when is not None and self._clock() < when + STALE_AFTER

    def _announce(self, vm: VmSnapshot, notice: SpotNotice, old: SpotNotice | None) -> None:
        name = printable(vm.name)
        when = notice.interruption_at
        if when is None:
            if old is None:
                self._notify(
                    self.tr("Spot capacity is getting short"),
                    self.tr("AWS may take {name} back soon; sync is kept up to date.").format(
                        name=name
                    ),
                )
            return
        if old is not None and old.kind is NoticeKind.INTERRUPTION and old.at == notice.at:
            return
        self._notify(
            self.tr("Spot interruption"),
            self.tr("AWS takes {name} back at {time} (in {left})").format(
                name=name, time=self._local(when), left=countdown(when, self._clock())
            ),
        )
        self._flush_now(vm)

    def _flush_now(self, vm: VmSnapshot) -> None:
        assert self._tray is not None

        def done(problem: str | None) -> None:
            self.flushed.emit(vm.id, problem or "")

        def failed(error: BaseException) -> None:
            self.flushed.emit(vm.id, str(error))

        self._tray.controller.bridge.submit(lambda: self._flush(vm), done, failed)

    def _local(self, when: datetime) -> str:
        return when.astimezone(self._tz).strftime("%H:%M")

    def _notify(self, title: str, message: str) -> None:
        if self._tray is not None:
            self._tray.icon.showMessage(
                f"{self._tray.title}: {title}",
                message,
                QSystemTrayIcon.MessageIcon.Warning,
                MESSAGE_MS,
            )
        self.notified.emit(title, message)


def _ask_with_dialog(title: str, question: str) -> bool:
    """A Yes/No dialog (the person clicked the action that asks)."""
    answer = QMessageBox.question(None, title, question)
    return answer == QMessageBox.StandardButton.Yes
