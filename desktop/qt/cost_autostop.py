"""Cost and auto-stop in the tray: the cost line, the countdown, the warning and its choices.

One object plays two parts: a `MenuContribution` for the COST slot of each VM's section (the
cost line, "stops at 19:00 (in 42 min)", and while a stop is near the choices Snooze 30 min /
1 h / 2 h, Keep running tonight, Stop now, Resume auto-stop), and a `TrayExtension` that adds
the same lines to the tooltip, prices VMs as the view changes and ticks the auto-stop policy
every minute.

The warning is a desktop notification with the choices as buttons when the Linux session's
notification server offers actions (`desktop_notifications.ActionNotifier`); otherwise, and
on macOS and Windows, a tray message (QSystemTrayIcon.showMessage, which carries no buttons)
with the choices in the menu. Cloud, disk-heavy and SSH work runs on the bridge's workers;
the policy itself runs on the GUI thread, where the view lives.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QSystemTrayIcon
from shiboken6 import isValid

from desktop.core.autostop import (
    SNOOZE_CHOICES,
    Action,
    ActivitySample,
    Decision,
    Policy,
    is_active,
)
from desktop.core.autostop_controller import AutostopController
from desktop.core.autostop_store import AutostopChoices, AutostopStore
from desktop.core.config import AutostopConfig
from desktop.core.cost import PeriodCost, daily_costs
from desktop.core.errors import DevtrayError
from desktop.core.humanize import printable
from desktop.core.model import VmSnapshot, VmState
from desktop.core.provider import Provider
from desktop.core.server_stop import ServerHold, ServerStopHold, refused_note
from desktop.core.spend import SpendSummary, spend_words, summarize, today_words
from desktop.core.spend_tracker import SpendTracker
from desktop.core.text import QT_TRANSLATE_NOOP, Clock, Money, Text, Words
from desktop.presentation.glance import TrayView
from desktop.presentation.menu import MenuItem, MenuSlot
from desktop.qt.desktop_notifications import CLICKED, ActionNotifier
from desktop.qt.locale_text import tr
from desktop.qt.month_text import month_line

if TYPE_CHECKING:
    from desktop.qt.spending_window import SpendingWindow
    from desktop.qt.tray import TrayApp

log = logging.getLogger(__name__)

# True when someone used the VM since the last tick, None when that could not be found out.
ActivityProbe = Callable[[VmSnapshot], bool | None]
# The laptop's own signals since the last tick (sync changes, tunnel traffic); never raises.
LaptopActivity = Callable[[VmSnapshot], ActivitySample]
# Flushes a VM's unsynced changes before a stop: None when done, else why it could not.
FlushBeforeStop = Callable[[VmSnapshot], str | None]
# Records a snooze on the VM for its idle agent (None clears it); runs on a worker.
VmRecorder = Callable[[Provider | None, VmSnapshot, datetime | None], None]

TICK_MS = 60_000
REPRICE_EVERY = timedelta(minutes=10)
# Choices are offered in the menu from this long before a stop (and while one is pending).
CHOICES_BEFORE = timedelta(hours=1)
MESSAGE_MS = 30_000
# Button presses for notification ids not known yet: kept briefly, a few at most, because
# servers that broadcast ActionInvoked also send other applications' presses.
EARLY_ANSWERS_KEPT = 16
EARLY_ANSWER_TTL = timedelta(seconds=60)


def no_laptop_activity(_vm: VmSnapshot) -> ActivitySample:
    """Used when the tray runs no sync or tunnels: nothing to observe on the laptop."""
    return ActivitySample()


def nothing_to_flush(_vm: VmSnapshot) -> str | None:
    """The flush used until a sync engine provides one: nothing is pending."""
    return None


def _snooze_label(length: timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    if minutes < 60:
        return tr(QT_TRANSLATE_NOOP("cost_autostop", "Snooze %n min", None, 1)(minutes))
    return tr(QT_TRANSLATE_NOOP("cost_autostop", "Snooze %n h", None, 1)(minutes // 60))


_NAMED = QT_TRANSLATE_NOOP("cost_autostop", "{vm}: {text}")
_PRICING = QT_TRANSLATE_NOOP("cost_autostop", "Cost: pricing…")
_AUTO_STOP = QT_TRANSLATE_NOOP("cost_autostop", "Auto-stop: {countdown}")
_SPOT = QT_TRANSLATE_NOOP("cost_autostop", "Spot {rate}/h · saves {percent} % · {today}")
_SPOT_READ = QT_TRANSLATE_NOOP(
    "cost_autostop", "Spot {rate}/h · saves {percent} % · price read {read} · {today}"
)


class CostAndAutostop(QObject):
    """The cost line and the auto-stop policy of every VM the tray shows."""

    changed = Signal()  # new prices or a new auto-stop state: menus and tooltip re-render
    decided = Signal(str, str)  # vm id, Action: one policy tick done (tests wait on it)
    notified = Signal(str, str)  # title, message: a tray message was shown

    slot = MenuSlot.COST

    def __init__(
        self,
        spend: SpendTracker,
        settings: AutostopConfig,
        *,
        activity: ActivityProbe,
        laptop_activity: LaptopActivity = no_laptop_activity,
        clock: Callable[[], datetime],
        tz: tzinfo,
        store: AutostopStore | None = None,
        flush: FlushBeforeStop = nothing_to_flush,
        record_on_vm: VmRecorder | None = None,
        notifier: ActionNotifier | None = None,
        tick_ms: int = TICK_MS,
    ) -> None:
        super().__init__()
        self.spend = spend
        self.policy = Policy(settings, tz)
        self.store = store or AutostopStore()
        self._activity = activity
        self._laptop_activity = laptop_activity
        self._clock = clock
        self._flush = flush
        self._record_on_vm = record_on_vm
        self._notifier = notifier
        self._warnings: dict[int, str] = {}  # notification id -> vm id (on screen)
        self._messages: dict[str, int] = {}  # vm id -> its warning's tray message token
        # A button pressed before Notify's reply reached us (the two travel separately):
        # notification id -> (action key, when), oldest first.
        self._early_answers: dict[int, tuple[str, datetime]] = {}
        if notifier is not None:
            notifier.action_invoked.connect(self._notification_answered)
        self._summaries: dict[str, SpendSummary] = {}
        self._priced: dict[str, tuple[VmState, str, datetime]] = {}
        self._controllers: dict[str, AutostopController] = {}
        # What devtray last did to a VM's cloud-side schedule (an Azure lab's), for its row.
        self._server_notes: dict[str, str] = {}
        self._server_locks: dict[str, threading.Lock] = {}
        self._tray: TrayApp | None = None
        self.windows: dict[str, SpendingWindow] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.tick)

    @property
    def notifier(self) -> ActionNotifier | None:
        """The desktop notifier (None: tray messages); the tray sends its own through it."""
        return self._notifier

    # -- TrayExtension ------------------------------------------------------------------------

    def attach(self, tray: TrayApp) -> None:
        """Follow the tray's view and start the minute ticks."""
        self._tray = tray
        tray.controller.view_changed.connect(self._view_changed)
        self.changed.connect(lambda: tray.render_view(tray.controller.view))
        self._timer.start()

    def detach(self) -> None:
        """Stop ticking and close the Spending windows (the tray is quitting)."""
        self._timer.stop()
        if self._notifier is not None:
            # At quit the warnings go too (here, not on a worker: the workers are stopping).
            self._close_notifications(list(self._warnings))
            self._warnings.clear()
            self._notifier.close()
        for window in self.windows.values():
            if isValid(window):
                window.close()

    def tooltip_lines(self, view: TrayView) -> Sequence[Words]:
        """`dev: $0.0952/h · today $1.20 (estimate)` and `dev: stops at 19:00 (in 42 min)`."""
        lines = []
        for vm in view.vms:
            name = printable(vm.name)
            summary = self._summaries.get(vm.id)
            if summary is not None:
                lines.append(_NAMED(vm=name, text=self.cost_line(summary)))
            countdown = self._countdown(vm)
            if countdown:
                lines.append(_NAMED(vm=name, text=countdown))
        return lines

    # -- MenuContribution ---------------------------------------------------------------------

    def items(self, vm: VmSnapshot, view: TrayView) -> Sequence[MenuItem]:
        """The cost line, the countdown, and the choices when a stop is near."""
        summary = self._summaries.get(vm.id)
        cost = self.cost_line(summary) if summary is not None else _PRICING
        rows = [MenuItem(text=cost, key=f"cost:{vm.id}", enabled=False)]
        if summary is not None and summary.billed is not None:
            month = month_line(summary.month, summary.billed, vm.id, summary.currency)
            rows.append(MenuItem(text=month, key=f"billed:{vm.id}", enabled=False))
        countdown = self._countdown(vm)
        if countdown:
            rows.append(
                MenuItem(
                    text=_AUTO_STOP(countdown=countdown), key=f"autostop:{vm.id}", enabled=False
                )
            )
        note = self._server_notes.get(vm.id)
        if note:
            rows.append(MenuItem(text=note, key=f"lab-schedule:{vm.id}", enabled=False))
        if vm.state is VmState.RUNNING and self._choices_due(vm):
            rows += self._choice_items(vm)
        rows.append(
            MenuItem(
                text=QT_TRANSLATE_NOOP("cost_autostop", "Spending…"),
                key=f"spending:{vm.id}",
                mnemonic="p",
                run=self._on_gui(partial(self.open_spending, vm.id)),
            )
        )
        return rows

    def cost_line(self, summary: SpendSummary) -> Words:
        """The spend line; a running spot VM's says `Spot $0.0310/h · saves 68 % · read 14:02`."""
        saving = summary.spot_saving_percent
        if summary.state is not VmState.RUNNING or summary.hourly_now is None or saving is None:
            return spend_words(summary)
        rate = Money(summary.hourly_now, summary.currency, hourly=True)
        today = today_words(summary)
        if summary.priced_at is None:
            return _SPOT(rate=rate, percent=saving, today=today)
        read = Clock(summary.priced_at.astimezone(self.spend.tz))
        return _SPOT_READ(rate=rate, percent=saving, read=read, today=today)

    def open_spending(self, vm_id: str) -> None:
        """The Spending window of one VM (raised if already open); filled from a worker."""
        if self._tray is None:
            return
        vm = self._tray.controller.view.vm(vm_id)
        if vm is None:
            return
        # Imported on first use: the chart's module builds PySide's whole Qt namespace (~20 ms),
        # which the tray's start-up should not pay for a window few people open.
        from desktop.qt.spending_window import CHART_DAYS, SpendingWindow

        window = self.windows.get(vm_id)
        if window is None or not isValid(window):
            window = SpendingWindow(self._tray.title, vm.name)
            self.windows[vm_id] = window
        window.show()
        window.raise_()
        now = self._clock()
        provider = self._tray.controller.provider_for(vm_id)

        def work() -> tuple[SpendSummary, list[tuple[date, PeriodCost]]]:
            changes = self.spend.record.changes(vm_id)
            days = daily_costs(changes, vm_id, now, self.spend.tz, CHART_DAYS)
            summary = summarize(changes, vm_id, now, self.spend.tz)
            if provider is not None:
                summary = self.spend.with_billed(summary, provider, vm, now)
            return summary, days

        def show(result: tuple[SpendSummary, list[tuple[date, PeriodCost]]]) -> None:
            if isValid(window):
                window.show_spend(*result)

        self._tray.controller.bridge.submit(
            work, show, lambda error: log.warning("could not read the spending: %s", error)
        )

    def _choices(self, vm_id: str) -> list[tuple[str, str, Callable[[], object]]]:
        """The warning's choices as (key, label, action): menu rows and notification buttons."""
        choices: list[tuple[str, str, Callable[[], object]]] = [
            (
                f"autostop-snooze-{int(length.total_seconds() // 60)}",
                _snooze_label(length),
                partial(self.snooze, vm_id, length),
            )
            for length in SNOOZE_CHOICES
        ]
        choices.append(
            (
                "autostop-keep",
                QCoreApplication.translate("CostAndAutostop", "Keep running tonight"),
                partial(self.keep_running_tonight, vm_id),
            )
        )
        stop_now = QCoreApplication.translate("CostAndAutostop", "Stop now")
        choices.append(("autostop-stop", stop_now, partial(self.stop_now, vm_id)))
        return choices

    def _choice_items(self, vm: VmSnapshot) -> list[MenuItem]:
        return [
            MenuItem(text=label, key=f"{key}:{vm.id}", run=self._on_gui(action))
            for key, label, action in self._choices(vm.id)
        ]

    def _on_gui(self, action: Callable[[], object]) -> Callable[[], None]:
        # Contributed items run on a worker thread; the policy lives on the GUI thread.
        def run() -> None:
            assert self._tray is not None
            self._tray.controller.bridge.call_on_gui(lambda: self._run(action))

        return run

    def _run(self, action: Callable[[], object]) -> None:
        action()
        self.changed.emit()

    # -- the person's choices -----------------------------------------------------------------

    def snooze(self, vm_id: str, length: timedelta) -> None:
        """Put the VM's next automatic stop off by `length`."""
        ctl = self._controller(vm_id)
        if ctl is not None:
            self.withdraw_warning(vm_id)
            self._notify("Auto-stop snoozed", ctl.snooze(self._clock(), length))

    def keep_running_tonight(self, vm_id: str) -> None:
        """No automatic stop of the VM until tomorrow morning."""
        ctl = self._controller(vm_id)
        if ctl is not None:
            self.withdraw_warning(vm_id)
            self._notify("Auto-stop off tonight", ctl.keep_running_tonight(self._clock()))

    def stop_now(self, vm_id: str) -> None:
        """Flush and stop the VM now (or say why not)."""
        ctl = self._controller(vm_id)
        if ctl is not None:
            self.withdraw_warning(vm_id)
            self._act(vm_id, ctl.stop_now(self._clock()))

    def withdraw_warning(self, vm_id: str) -> None:
        """Take the VM's auto-stop warning off the screen: it no longer applies."""
        token = self._messages.pop(vm_id, None)
        if token is not None and self._tray is not None:
            self._tray.withdraw_message(token)
        shown = [n for n, vm in self._warnings.items() if vm == vm_id]
        if not shown or self._tray is None:
            return
        for notification in shown:
            del self._warnings[notification]
        self._tray.controller.bridge.submit(
            partial(self._close_notifications, shown),
            lambda _done: None,
            lambda error: log.warning("could not withdraw the warning: %s", error),
        )

    def _close_notifications(self, notifications: Sequence[int]) -> None:
        for notification in notifications:
            if self._notifier is None:
                return
            try:
                self._notifier.withdraw(notification)
            except Exception as exc:  # the server went away: nothing left on screen
                log.info("could not withdraw notification %s: %s", notification, exc)

    # -- prices -------------------------------------------------------------------------------

    def _view_changed(self, view: TrayView) -> None:
        now = self._clock()
        stale = [
            vm
            for vm in view.vms
            if (seen := self._priced.get(vm.id)) is None
            or seen[:2] != (vm.state, vm.size)
            or now - seen[2] >= REPRICE_EVERY
        ]
        if stale and self._tray is not None:
            for vm in stale:
                self._priced[vm.id] = (vm.state, vm.size, now)
            controller = self._tray.controller
            pairs = [(controller.provider_for(vm.id), vm) for vm in stale]
            self._tray.controller.bridge.submit(
                lambda: [(vm.id, self.spend.observe(p, vm)) for p, vm in pairs if p is not None],
                self._prices_arrived,
                lambda error: log.warning("could not work out the cost: %s", error),
            )

    def _prices_arrived(self, summaries: list[tuple[str, SpendSummary]]) -> None:
        self._summaries.update(summaries)
        self.changed.emit()

    # -- auto-stop ----------------------------------------------------------------------------

    def tick(self) -> None:
        """Look at every VM once: probe activity on a worker, then run the policy here."""
        if self._tray is None:
            return
        for vm in self._tray.controller.view.vms:
            if vm.state is VmState.RUNNING:
                self._probe_then_decide(vm)
            else:
                self._decide(vm, False)

    def _probe_then_decide(self, vm: VmSnapshot) -> None:
        assert self._tray is not None
        since = timedelta(milliseconds=self._timer.interval())

        def probe() -> bool | None:
            # The laptop's signals first: they are read every tick (each covers the time since
            # the previous one), and when they show work the VM need not be asked over SSH.
            if is_active(self._laptop_activity(vm), self.policy.settings, since):
                return True
            return self._activity(vm)

        def probed(active: bool | None) -> None:
            self._decide(vm, active)

        def failed(error: BaseException) -> None:
            log.info("could not read %s's activity: %s", vm.id, error)
            self._decide(vm, None)

        self._tray.controller.bridge.submit(probe, probed, failed)

    def _decide(self, vm: VmSnapshot, active: bool | None) -> None:
        ctl = self._controller(vm.id)
        if ctl is None:
            return
        current = self._tray.controller.view.vm(vm.id) if self._tray else None
        latest = current or vm
        running = latest.state is VmState.RUNNING
        decision = ctl.tick(
            self._clock(),
            running=running,
            active=bool(active),
            running_since=latest.state_since or latest.launched_at,
        )
        self._act(vm.id, decision)
        self.decided.emit(vm.id, str(decision.action))

    def _act(self, vm_id: str, decision: Decision) -> None:
        titles = {
            Action.WARN: "VM stops soon",
            Action.POSTPONE: "Auto-stop postponed",
            Action.STOP: "Stopping the VM",
        }
        title = titles.get(decision.action)
        if title is None and decision.state.blocked and decision.message:
            title = "VM not stopped"
        if decision.action in (Action.WITHDRAW, Action.STOP, Action.POSTPONE):
            self.withdraw_warning(vm_id)  # activity came back, the VM stopped or stops now
        if decision.action is Action.WARN and self._notifier is not None:
            self._warn_with_buttons(vm_id, title or "", decision.message)
        elif decision.action is Action.WARN:
            message = decision.message + " The choices are in the devtray menu."
            self._messages[vm_id] = self._notify(title or "", message, self._show_choices)
        elif title is not None:
            self._notify(title, decision.message)
        if decision.action is not Action.NONE or title is not None:
            self.changed.emit()

    def _warn_with_buttons(self, vm_id: str, title: str, message: str) -> None:
        """The warning as a desktop notification whose buttons are the choices."""
        assert self._notifier is not None and self._tray is not None
        notifier = self._notifier
        buttons = [(key, label) for key, label, _action in self._choices(vm_id)]
        heading = f"{self._tray.title}: {title}"
        # A renewed warning replaces the one on screen rather than stacking a second.
        replaces = max((n for n, vm in self._warnings.items() if vm == vm_id), default=0)

        def shown(notification: int) -> None:
            self._warnings[notification] = vm_id
            self.notified.emit(title, message)
            self._forget_old_answers()
            early = self._early_answers.pop(notification, None)
            if early is not None:
                self._notification_answered(notification, early[0])

        def failed(error: BaseException) -> None:
            log.warning("could not show the notification (%s); using a tray message", error)
            self._notify(title, message + " The choices are in the devtray menu.")

        self._tray.controller.bridge.submit(
            lambda: notifier.notify(heading, message, buttons, replaces), shown, failed
        )

    def _notification_answered(self, notification: int, key: str) -> None:
        vm_id = self._warnings.get(notification)
        if vm_id is None:
            self._early_answers.pop(notification, None)
            self._early_answers[notification] = (key, self._clock())
            self._forget_old_answers()
            return
        if key == CLICKED:
            self._show_choices()
            return
        for choice, _label, action in self._choices(vm_id):
            if choice == key:
                self._run(action)
                return

    def _forget_old_answers(self) -> None:
        """Keep only the last few early answers, and none older than a minute."""
        cutoff = self._clock() - EARLY_ANSWER_TTL
        kept = [(n, answer) for n, answer in self._early_answers.items() if answer[1] >= cutoff]
        self._early_answers = dict(kept[-EARLY_ANSWERS_KEPT:])

    def _controller(self, vm_id: str) -> AutostopController | None:
        ctl = self._controllers.get(vm_id)
        if ctl is not None or self._tray is None:
            return ctl
        tray = self._tray

        def vm_now() -> VmSnapshot | None:
            return tray.controller.view.vm(vm_id)

        def flush() -> str | None:
            vm = vm_now()
            return self._flush(vm) if vm is not None else None

        def record(until: datetime | None) -> None:
            vm = vm_now()
            if self._record_on_vm is not None and vm is not None:
                recorder = self._record_on_vm
                provider = tray.controller.provider_for(vm_id)
                tray.controller.bridge.submit(
                    lambda: recorder(provider, vm, until),
                    lambda _done: None,
                    lambda error: log.warning("could not record the snooze on the VM: %s", error),
                )

        ctl = AutostopController(
            self.policy,
            self.store,
            vm_id,
            stop_vm=lambda: tray.controller.stop_vm(vm_id),
            flush=flush,
            record_on_vm=record,
            hold_server_stop=partial(self._hold_server_stop, vm_id),
        )
        self._controllers[vm_id] = ctl
        provider = tray.controller.provider_for(vm_id)
        if isinstance(provider, ServerStopHold):
            # A hold made before this tray started (or from a terminal): its record says what.
            note = provider.describe_server_hold(vm_id, self._clock())
            if note:
                self._server_notes[vm_id] = note
        return ctl

    def _hold_server_stop(self, vm_id: str, hold: ServerHold | None, now: datetime) -> None:
        """Move the cloud's own schedule (an Azure lab's) on a worker; the result shows later."""
        provider = self._tray.controller.provider_for(vm_id) if self._tray else None
        if not isinstance(provider, ServerStopHold) or self._tray is None:
            return
        lock = self._server_locks.setdefault(vm_id, threading.Lock())
        if hold is None and lock.locked():
            return  # a change is under way; the next tick looks again
        holder = provider

        def work() -> str | None:
            with lock:  # one change at a time per VM, in the order they were asked for
                if hold is None and self.store.load(vm_id).active(self._clock()) != (
                    AutostopChoices()
                ):
                    return None  # snoozed again since this release was asked for
                try:
                    return holder.hold_server_stop(vm_id, hold, now)
                except DevtrayError as exc:
                    log.warning("could not change %s's lab schedule: %s", vm_id, exc)
                    return refused_note(exc, releasing=hold is None)

        def done(note: str | None) -> None:
            if note is None:
                return
            if hold is None:
                self._server_notes.pop(vm_id, None)
                log.info("%s: %s", vm_id, note)
                self.changed.emit()
                return
            self._server_notes[vm_id] = note
            self._notify("Lab schedule", note)
            self.changed.emit()

        self._tray.controller.bridge.submit(
            work, done, lambda error: log.warning("lab schedule change failed: %s", error)
        )

    def _countdown(self, vm: VmSnapshot) -> Text | None:
        ctl = self._controllers.get(vm.id)
        if ctl is None or vm.state is not VmState.RUNNING:
            return None
        return ctl.countdown(self._clock())

    def _choices_due(self, vm: VmSnapshot) -> bool:
        ctl = self._controllers.get(vm.id)
        if ctl is None:
            return False
        now = self._clock()
        stop = self.policy.next_stop(ctl.state, now)
        return ctl.state.pending is not None or (stop is not None and stop - now <= CHOICES_BEFORE)

    def _show_choices(self) -> None:
        """A click on the warning: the menu, whose auto-stop rows are the same choices."""
        if self._tray is not None:
            self._tray.show_menu()

    def _notify(self, title: str, message: str, on_click: Callable[[], None] | None = None) -> int:
        token = 0
        if self._tray is not None:
            token = self._tray.show_message(
                f"{self._tray.title}: {title}",
                message,
                QSystemTrayIcon.MessageIcon.Information,
                MESSAGE_MS,
                on_click,
            )
        self.notified.emit(title, message)
        return token
