"""The tray icon, its menu, and the windows it opens.

The menu is rebuilt from the controller's latest view each time it opens (`build_menu`), the
icon and tooltip each time the view changes. Clicks go to the controller (cloud work, on
workers) or open a window; nothing here waits for the network.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QCoreApplication, QObject, QTimer, QUrl
from PySide6.QtGui import QCursor, QDesktopServices
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget
from shiboken6 import isValid

from desktop.core.text import Words
from desktop.presentation.glance import (
    IconState,
    Problem,
    ProblemKind,
    RecentProblem,
    TrayView,
    app_title,
    icon_state,
    tooltip,
)
from desktop.qt.controller import ProvidersFactory, TrayController
from desktop.qt.icons import IconSet
from desktop.qt.language import Language
from desktop.qt.locale_text import tr
from desktop.system.logs import log_file

if TYPE_CHECKING:
    # The windows are imported when first opened: start-up stays as light as a bare tray.
    from desktop.core.model import VmSnapshot
    from desktop.presentation.menu import Action, MenuContribution, MenuItem
    from desktop.qt.day_runner import DayNotice, DayRunner
    from desktop.qt.day_setup_offer import DaySetupOffer
    from desktop.qt.desktop_notifications import ActionNotifier
    from desktop.qt.menu_render import MenuRenderer
    from desktop.qt.problem_window import ProblemWindow
    from desktop.qt.signin_window import AwsSignIn, SignIn
    from desktop.services.day import DayPhase, DayProgress, StepState
    from desktop.services.handover import DayRequest, Send
    from desktop.system.autostart import Autostart

    ServeDay = Callable[[DayRequest, Send], None]

log = logging.getLogger(__name__)

MESSAGE_MS = 10_000
PROBLEMS_KEPT = 8  # the Problems submenu lists this many unresolved problems at most
NOTICES_KEPT = 32  # notifications whose click is still remembered
FRAME_MS = 16  # one frame at 60 Hz: the day's icon, tooltip and open menu redraw at most this often


def open_with_desktop(path: Path) -> bool:
    """Open a file (or folder) with the platform's default application; False if none did."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def open_in_browser(url: str) -> None:
    """Open a web page in the default browser (the sign-in pages)."""
    QDesktopServices.openUrl(QUrl(url))


class TrayExtension(Protocol):
    """A feature living beside the tray (cost, auto-stop): attached once the tray exists."""

    def attach(self, tray: TrayApp) -> None:
        """Start: connect to the controller's signals, start timers."""
        ...

    def tooltip_lines(self, view: TrayView) -> Sequence[Words]:
        """Lines added under the tooltip's own (fast: it runs on every render)."""
        ...

    def detach(self) -> None:
        """Stop timers and work (the tray is quitting)."""
        ...


@dataclass(frozen=True)
class TrayAddOns:
    """Features the composition root builds after the icon is up, so start-up pays for the
    icon only: menu rows, tooltip lines and their hooks."""

    contributions: Sequence[MenuContribution] = ()
    extensions: Sequence[TrayExtension] = ()
    on_quit: Sequence[Callable[[], None]] = ()
    on_view: Sequence[Callable[[TrayView], None]] = ()
    serve_day: ServeDay | None = None
    before_stop: Callable[[VmSnapshot], str | None] | None = None  # flush first (the day)
    # Builds the day (Start my day, End my day, projects) once the controller exists.
    day: Callable[[TrayController], DayRunner] | None = None
    # The desktop's notifications (Linux with a notification server): every tray message then
    # goes through it, so they all look alike and each click reaches its own target.
    notifier: ActionNotifier | None = None


@dataclass(frozen=True)
class TrayServices:
    """What the composition root hands the tray."""

    config_path: Path
    config_exists: bool
    providers: ProvidersFactory  # the configured clouds (reads the config afresh each call)
    demo_providers: ProvidersFactory  # the demo cloud, for "Try the demo"
    autostart: Autostart
    demo: bool = False
    sign_in: AwsSignIn | None = None
    azure_sign_in: SignIn | None = None
    contributions: Sequence[MenuContribution] = ()
    extensions: Sequence[TrayExtension] = ()
    on_quit: Sequence[Callable[[], None]] = ()  # e.g. stop the sync/tunnel supervisors
    on_view: Sequence[Callable[[TrayView], None]] = ()  # e.g. refresh the SSH config block
    serve_day: ServeDay | None = None  # `devtray up` / `down` handed to the tray (a worker runs it)
    open_file: Callable[[Path], bool] = field(default=open_with_desktop)
    open_url: Callable[[str], None] = field(default=open_in_browser)
    # Called on a worker once the icon is up (imports); what it returns builds the rows on the
    # GUI thread.
    add_ons: Callable[[], Callable[[], TrayAddOns]] | None = None


class TrayApp(QObject):
    """The tray icon and everything it opens."""

    def __init__(self, services: TrayServices, controller: TrayController) -> None:
        super().__init__()
        self.services = services
        self.controller = controller
        app = QCoreApplication.instance()
        assert app is not None, "the tray needs a QApplication"
        self.language = Language(app)
        self.icons = IconSet()
        self.menu = QMenu()
        self.menu.setObjectName("tray-menu")
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon = QSystemTrayIcon(self)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self._message_clicked)
        self.day: DayRunner | None = None
        self.day_setup_offer: DaySetupOffer | None = None  # the first run's, with the day
        self.menu_renderer: MenuRenderer | None = None  # made as the menu first opens
        # The day's changes come in bursts (a step ends, the next starts, its detail): they
        # are drawn once a frame, not once each.
        self._day_frame = QTimer(self)
        self._day_frame.setSingleShot(True)
        self._day_frame.setInterval(FRAME_MS)
        self._day_frame.timeout.connect(self._render_day)
        self._last_notice: DayNotice | None = None
        self._blink = False  # the day's icon animation: transition / running, each second
        self._day_moment: object = None  # the day's (phase, step) last seen
        self.windows: dict[str, QWidget] = {}
        self._problem_window: ProblemWindow | None = None
        self._last_problem: Problem | None = None
        self.problems: list[RecentProblem] = []  # unresolved, oldest first (the Problems rows)
        self._problem_ids = 0
        # What a click on the tray message on screen opens: each message carries its own
        # target (a platform shows one tray message at a time; a newer one replaces it).
        self._message_target: Callable[[], None] | None = None
        self._message_token = 0
        self._notifier: ActionNotifier | None = None
        self._notice_targets: dict[int, Callable[[], None]] = {}  # notification id -> click
        controller.view_changed.connect(self.render_view)
        controller.problem_raised.connect(self.report_problem)
        self._wire(services.on_view, services.extensions)

    def attach_add_ons(self, add_ons: TrayAddOns) -> None:
        """Take on features built after start-up: their rows, tooltip lines and hooks."""
        current = self.services
        self.services = replace(
            current,
            contributions=(*current.contributions, *add_ons.contributions),
            extensions=(*current.extensions, *add_ons.extensions),
            on_quit=(*current.on_quit, *add_ons.on_quit),
            on_view=(*current.on_view, *add_ons.on_view),
            serve_day=add_ons.serve_day or current.serve_day,
        )
        if add_ons.before_stop is not None:
            self.controller.before_stop = add_ons.before_stop
        if add_ons.notifier is not None:
            self._notifier = add_ons.notifier
            add_ons.notifier.action_invoked.connect(self._notification_clicked)
        self._wire(add_ons.on_view, add_ons.extensions)
        if add_ons.day is not None:
            self._attach_day(add_ons.day(self.controller))

    def _attach_day(self, day: DayRunner) -> None:
        from desktop.qt.day_actions import DayActions
        from desktop.qt.day_setup_offer import DaySetupOffer
        from desktop.services.first_run import FirstRunStore

        self.day = day
        self.day_actions = DayActions(self, day)
        self.day_setup_offer = DaySetupOffer(self.day_actions, FirstRunStore())
        day.changed.connect(self._day_changed)
        day.notice.connect(self.day_actions.show_notice)
        day.reload_projects(then=self.day_setup_offer.projects_loaded)

    def _day_changed(self) -> None:
        if not self._day_frame.isActive():
            self._day_frame.start()

    def _render_day(self) -> None:
        assert self.day is not None
        progress = self.day.panel.progress
        moment = _vm_moment(progress)
        if moment is not None and moment != self._day_moment:
            # The day started or stopped the VM: look at the cloud now, not at the next poll.
            self._day_moment = moment
            self.controller.refresh_now()
        self._blink = not self._blink
        self.render_view(self.controller.view)
        if self.menu.isVisible():
            self.rebuild_menu()

    def _wire(
        self,
        on_view: Sequence[Callable[[TrayView], None]],
        extensions: Sequence[TrayExtension],
    ) -> None:
        for listener in on_view:
            self.controller.view_changed.connect(listener)
        for extension in extensions:
            extension.attach(self)
        self.render_view(self.controller.view)

    # -- rendering ----------------------------------------------------------------------------

    @property
    def title(self) -> str:
        """`devtray` or `devtray (Demo)`: every window's title starts with it."""
        return tr(app_title(self.controller.view))

    def render_view(self, view: TrayView) -> None:
        """Icon and tooltip for the latest view (and the day's progress)."""
        if view.loaded and view.problem is None and any(p.from_poll for p in self.problems):
            # The cloud answered: offline / sign-in problems are resolved.
            self.problems = [recent for recent in self.problems if not recent.from_poll]
        state = icon_state(view)
        day_lines: Sequence[Words] = ()
        if self.day is not None:
            from desktop.presentation.day_rows import day_tooltip

            day_lines = day_tooltip(self.day.panel)
            if self.day.busy:  # the day runs: orange, pulsing each second
                state = IconState.TRANSITION if self._blink else IconState.STOPPED
        self.icon.setIcon(self.icons.icon(state))
        extra = [line for ext in self.services.extensions for line in ext.tooltip_lines(view)]
        lines = [*tooltip(view), *day_lines, *extra]
        self.icon.setToolTip("\n".join(tr(line) for line in lines))

    def menu_items(self) -> tuple[MenuItem, ...]:
        """The menu for the latest view, contributions included."""
        # The menu's modules load when it first opens, after start-up (the icon needs none).
        from desktop.presentation.menu import build_menu

        top: Sequence[MenuItem] = ()
        if self.day is not None:
            from desktop.presentation.day_rows import day_rows

            top = day_rows(self.day.panel, self.controller.view)
        return build_menu(
            self.controller.view, self.services.contributions, top=top, problems=self.problems
        )

    def rebuild_menu(self) -> None:
        """Refill the menu from the latest view (runs as the menu opens)."""
        if self.menu_renderer is None:
            from desktop.qt.menu_render import MenuRenderer

            self.menu_renderer = MenuRenderer(self.menu, self.trigger)
        self.menu_renderer.render(self.menu_items())

    def show(self) -> None:
        """Put the icon in the tray."""
        self.icon.show()

    def show_menu(self) -> None:
        """Pop the menu up next to the icon (or the pointer, when the tray cannot say where)."""
        geometry = self.icon.geometry()
        position = geometry.center() if geometry.isValid() else QCursor.pos()
        self.menu.popup(position)
        self.menu.activateWindow()

    def on_cli_message(self, message: dict[str, object]) -> None:
        """A note from the CLI: start on connect started a VM, or would not start it."""
        vm = str(message.get("vm", ""))[:80]
        app = str(message.get("app") or "ssh")[:40]
        if message.get("cmd") == "connect.starting":
            title = QCoreApplication.translate("TrayApp", "Starting {vm} for {app}").format(
                vm=vm, app=app
            )
            text = QCoreApplication.translate("TrayApp", "It will connect as soon as SSH answers.")
        elif message.get("cmd") == "connect.refused":
            title = QCoreApplication.translate("TrayApp", "{vm} was not started").format(vm=vm)
            text = str(message.get("text", ""))[:400]
        else:
            return  # a request this tray does not know (from a newer CLI)
        self.show_message(title, text)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # macOS opens the menu itself on a click; elsewhere a left click opens it too.
        if reason is QSystemTrayIcon.ActivationReason.Trigger and sys.platform != "darwin":
            self.show_menu()

    # -- clicks -------------------------------------------------------------------------------

    def trigger(self, item: MenuItem) -> None:
        """Do what a menu row says."""
        from desktop.presentation.menu import Action

        if item.run is not None:
            self.controller.run_contributed(item.run)
            return
        if self.day is not None and self.day_actions.handle(item):
            return
        handlers: dict[Action, Callable[[], None]] = {
            Action.SHOW_PROBLEM: lambda: self.show_problem(item.problem_id),
            Action.RETRY: self.controller.refresh_now,
            Action.SIGN_IN: lambda: self.open_sign_in(first_run=False),
            Action.SETTINGS: self.open_settings,
            Action.SHOW_LOG: self.open_log,
            Action.QUIT: self.quit,
        }
        if item.action is Action.CLAIM and item.vm_id is not None:
            self.controller.claim_vm(item.vm_id)
        elif item.action in (Action.START, Action.STOP, Action.RESIZE) and item.vm_id is not None:
            self._vm_action(item.action, item.vm_id)
        elif item.action is not None and item.action in handlers:
            handlers[item.action]()

    def _vm_action(self, action: Action, vm_id: str) -> None:
        from desktop.core.stop_intent import StopSource, record_user_stop
        from desktop.presentation.menu import Action

        if action is Action.START:
            self.controller.start_vm(vm_id)
        elif action is Action.STOP:
            # Recorded first, so start on connect leaves the VM alone (off the GUI thread).
            self.controller.bridge.submit(
                lambda: record_user_stop(vm_id, StopSource.TRAY),
                lambda _: None,
                lambda error: log.warning("stop of %s not recorded: %s", vm_id, error),
            )
            self.controller.stop_vm(vm_id)
        else:
            self.open_resize(vm_id)

    def _open_window(self, name: str, build: Callable[[], QWidget]) -> QWidget:
        window = self.windows.get(name)
        # Dialogs delete themselves on close; a deleted one is rebuilt.
        if window is None or not isValid(window) or not window.isVisible():
            window = build()
            self.windows[name] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def open_resize(self, vm_id: str) -> None:
        """The resize dialog for one VM."""
        from desktop.qt.resize_dialog import ResizeDialog

        vm = self.controller.view.vm(vm_id)
        if vm is not None:
            self._open_window(
                f"resize:{vm_id}", lambda: ResizeDialog(self.controller, vm, self.title)
            )

    def open_settings(self) -> None:
        """The settings dialog; saving makes the tray look at the (maybe new) cloud again."""
        from desktop.qt.settings_dialog import SettingsDialog

        self._open_window(
            "settings",
            lambda: SettingsDialog(
                self.services.config_path,
                self.services.autostart,
                self.title,
                on_saved=self._settings_saved,
                open_file=self.services.open_file,
            ),
        )

    def _settings_saved(self) -> None:
        if not self.controller.view.demo:
            self.controller.use_providers(self.services.providers, demo=False)

    def open_sign_in(self, *, first_run: bool) -> None:
        """Sign in (or, the first time, choose between signing in and the demo)."""
        from desktop.qt.signin_window import SignInWindow

        self._open_window(
            "sign-in",
            lambda: SignInWindow(
                self.controller.bridge,
                self.services.config_path,
                self.services.sign_in,
                self.title,
                on_signed_in=lambda: self.controller.use_providers(
                    self.services.providers, demo=False
                ),
                on_try_demo=lambda: self.controller.use_providers(
                    self.services.demo_providers, demo=True
                ),
                open_url=self.services.open_url,
                first_run=first_run,
                azure_sign_in=self.services.azure_sign_in,
            ),
        )

    def open_log(self) -> None:
        """Open devtray's log file; without a viewer its folder, else the log in a window."""
        path = log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        if self.services.open_file(path) or self.services.open_file(path.parent):
            return
        from desktop.qt.log_window import LogWindow

        window = self._open_window("log", lambda: LogWindow(self.title, path))
        if isinstance(window, LogWindow):
            window.reload()

    # -- problems -----------------------------------------------------------------------------

    def report_problem(self, problem: Problem) -> None:
        """A notification; expired credentials open sign-in (the welcome window on first run)."""
        recent = self.remember_problem(problem)
        self.show_message(
            f"{self.title}: {problem.title}",
            problem.message,
            QSystemTrayIcon.MessageIcon.Warning,
            on_click=lambda: self.show_problem(recent.id),
        )
        if problem.kind is ProblemKind.SIGN_IN:
            first_run = not self.services.config_exists and not self.controller.view.demo
            self.open_sign_in(first_run=first_run)

    def remember_problem(self, problem: Problem) -> RecentProblem:
        """List `problem` under "Problems" until it is resolved (the newest few)."""
        self._last_problem = problem
        self._problem_ids += 1
        from_poll = problem is self.controller.view.problem
        recent = RecentProblem(self._problem_ids, problem, datetime.now(UTC), from_poll)
        same = (problem.title, problem.message)
        # The same trouble again replaces its older row.
        kept = [p for p in self.problems if (p.problem.title, p.problem.message) != same]
        self.problems = [*kept, recent][-PROBLEMS_KEPT:]
        return recent

    def show_message(
        self,
        title: str,
        text: str,
        kind: QSystemTrayIcon.MessageIcon = QSystemTrayIcon.MessageIcon.Information,
        ms: int = MESSAGE_MS,
        on_click: Callable[[], None] | None = None,
    ) -> int:
        """A message whose click runs `on_click` (nothing when None): a desktop notification
        where the tray has a notifier, else a tray message; returns a token for
        `withdraw_message`."""
        self._message_token += 1
        notifier = self._notifier
        if notifier is None:
            self._message_target = on_click
            self.icon.showMessage(title, text, kind, ms)
            return self._message_token
        from desktop.qt.desktop_notifications import EXPIRE_DEFAULT

        def shown(notification: int) -> None:
            if on_click is not None:
                self._notice_targets[notification] = on_click
                while len(self._notice_targets) > NOTICES_KEPT:  # the oldest have faded
                    del self._notice_targets[next(iter(self._notice_targets))]

        def failed(error: BaseException) -> None:
            log.warning("could not show the notification (%s); a tray message", error)
            self._message_target = on_click
            self.icon.showMessage(title, text, kind, ms)

        self.controller.bridge.submit(
            lambda: notifier.notify(title, text, (), expire_ms=EXPIRE_DEFAULT), shown, failed
        )
        return self._message_token

    def _notification_clicked(self, notification: int, key: str) -> None:
        from desktop.qt.desktop_notifications import CLICKED

        target = self._notice_targets.get(notification)
        if key == CLICKED and target is not None:
            target()

    def withdraw_message(self, token: int) -> None:
        """Take back the message `token` if it is still the one shown: a late click on it does
        nothing, and Windows removes its balloon (an empty message does that there; Qt has no
        call for it elsewhere, where the platform lets the message fade)."""
        if token != self._message_token:
            return
        self._message_target = None
        if sys.platform == "win32":
            self.icon.showMessage("", "", QSystemTrayIcon.MessageIcon.NoIcon, 1)

    def open_notice(self, notice: DayNotice) -> None:
        """What a click on a day's message does: Open the project, or the problem's details."""
        if self.day is not None and notice.open_project is not None:
            self.day.open(notice.open_project, self.controller.view)
        elif notice.problem is not None:
            self._show_details(notice.problem)

    def _message_clicked(self) -> None:
        target, self._message_target = self._message_target, None
        if target is not None:
            target()

    def show_problem(self, problem_id: int | None = None) -> None:
        """The details window of a listed problem (by id), else of the latest problem."""
        listed = next((p.problem for p in self.problems if p.id == problem_id), None)
        problem = listed or self.controller.view.problem or self._last_problem
        if problem is not None:
            self._show_details(problem)

    def _show_details(self, problem: Problem) -> None:
        if self._problem_window is None:
            from desktop.qt.problem_window import ProblemWindow

            self._problem_window = ProblemWindow(self.title, self.open_log)
        self._problem_window.show_problem(problem)

    # -- quitting -----------------------------------------------------------------------------

    def quit(self) -> None:
        """Leave the event loop; `shutdown` then cleans up."""
        QApplication.quit()

    def shutdown(self) -> None:
        """Stop cloud work, close windows, run the quit hooks (they stop child processes)."""
        for extension in self.services.extensions:
            extension.detach()
        self._day_frame.stop()
        if self.day is not None:
            self.day.shutdown()
            self.day_actions.close()
        self.controller.shutdown()
        for window in self.windows.values():
            if isValid(window):
                window.close()
        if self._problem_window is not None:
            self._problem_window.close()
        self.icon.hide()
        self.language.uninstall()
        for hook in self.services.on_quit:
            try:
                hook()
            except Exception:
                log.exception("error in a quit hook")


def _vm_moment(progress: DayProgress) -> tuple[DayPhase, StepState] | None:
    """Where the day stands with its VM: a change means the cloud's view of the VM moves (its
    start is asked, it runs, the day ended and stopped it). None while the day only begins:
    it lists the VMs itself, and a second listing then only competes with it for the GIL."""
    from desktop.services.day import DayPhase, DayStep, StepState  # loaded with the day

    vm_step = progress.state_of(DayStep.VM_STARTED)
    if progress.phase is DayPhase.STARTING and vm_step is StepState.PENDING:
        return None
    return (progress.phase, vm_step)
