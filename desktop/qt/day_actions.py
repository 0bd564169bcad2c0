"""What the day's rows do when clicked, and how the day speaks: notifications (with an
"Open in VS Code" button where the desktop has buttons, else a tray message that opens the
project when clicked), the folder chooser of "Add project folder…", the "Set up your day" form.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QSystemTrayIcon

from desktop.presentation.menu import Action, MenuItem
from desktop.qt.day_runner import DayNotice, DayRunner, open_label
from desktop.qt.desktop_notifications import CLICKED

if TYPE_CHECKING:
    from desktop.qt.tray import TrayApp

log = logging.getLogger(__name__)

MESSAGE_MS = 10_000
OPEN_KEY = "open"
EARLY_KEPT = 8


class DayActions:
    """The tray's hands for the day rows."""

    def __init__(self, tray: TrayApp, day: DayRunner) -> None:
        self.tray = tray
        self.day = day
        self.shown: list[DayNotice] = []  # every notice shown, newest last (tests read it)
        self._buttons: dict[int, DayNotice] = {}  # notification id -> its notice
        # A button pressed before Notify's reply reached us (the two travel separately).
        self._early: dict[int, str] = {}
        notifier = day.notifier
        if notifier is not None:
            notifier.action_invoked.connect(self._button)

    def handle(self, item: MenuItem) -> bool:
        """Do what a day row says; False when the row is not a day row."""
        view = self.tray.controller.view
        project = self.day.project(item.project)
        if item.action is Action.CANCEL_DAY:
            self.day.cancel()
        elif item.action is Action.END_DAY:
            self.day.end(view)
        elif item.action is Action.ADD_PROJECT:
            self.add_project_folder()
        elif item.action is Action.SET_UP_DAY:
            self.set_up_day()
        elif item.action is Action.START_DAY and project is not None:
            self.day.start(project)
        elif item.action is Action.START_AND_OPEN and project is not None:
            self.day.start(project, open_ide=True, ide=item.ide)
        elif item.action is Action.OPEN_PROJECT and project is not None:
            self.day.open(project, view)
        else:
            return False
        return True

    # -- projects ------------------------------------------------------------------------------

    def add_project_folder(self) -> None:
        """Choose a folder; it joins `[[projects]]` (written on a worker) and the menu."""
        folder = QFileDialog.getExistingDirectory(
            None,
            QCoreApplication.translate("DayActions", "Add project folder"),
            "",
            QFileDialog.Option.ShowDirsOnly,
        )
        if folder:
            self.add_project(folder)

    def add_project(self, folder: str) -> None:
        """Remember `folder` as a project, then show it in the menu."""
        from pathlib import Path

        from desktop.services.projects import remember_project

        path = self.tray.services.config_path
        self.tray.controller.bridge.submit(
            lambda: remember_project(path, Path(folder)),
            lambda _project: self.day.reload_projects(),
            lambda error: self.show_notice(self.day.problem_notice(error)),
        )

    def set_up_day(self) -> None:
        """The first-run form: VM, folder, IDE, remote folder."""
        from desktop.qt.day_setup import DaySetupDialog

        vms = [vm.name for vm in self.tray.controller.view.vms]
        self.tray._open_window(
            "set-up-day",
            lambda: DaySetupDialog(
                self.tray.controller.bridge,
                self.tray.services.config_path,
                vms,
                self.tray.title,
                on_saved=lambda: self.day.reload_projects(),
            ),
        )

    # -- notices -------------------------------------------------------------------------------

    def show_notice(self, notice: DayNotice) -> None:
        """A notification: with an Open button where buttons exist, else a tray message."""
        self.shown.append(notice)
        if notice.problem is not None:
            self.tray.remember_problem(notice.problem)
        title = f"{self.tray.title}: {notice.title}"
        notifier = self.day.notifier
        if notice.open_project is not None and notifier is not None:
            buttons = [(OPEN_KEY, open_label(notice.open_project))]

            def shown(notification: int) -> None:
                self._buttons[notification] = notice
                early = self._early.pop(notification, None)
                if early is not None:
                    self._button(notification, early)

            def failed(error: BaseException) -> None:
                log.warning("no notification with buttons (%s); a tray message", error)
                self._message(title, notice)

            self.tray.controller.bridge.submit(
                lambda: notifier.notify(title, notice.message, buttons), shown, failed
            )
            return
        self._message(title, notice)

    def _message(self, title: str, notice: DayNotice) -> None:
        icon = QSystemTrayIcon.MessageIcon
        kind = icon.Warning if notice.problem is not None else icon.Information
        message = notice.message
        if notice.open_project is not None:
            message += "\n" + QCoreApplication.translate("DayActions", "Click to {action}.").format(
                action=open_label(notice.open_project)
            )
        self.tray.show_message(
            title, message, kind, MESSAGE_MS, on_click=lambda: self.tray.open_notice(notice)
        )

    def _button(self, notification: int, key: str) -> None:
        notice = self._buttons.pop(notification, None)
        if notice is None:
            # Maybe ours, answered before we heard its id; kept a little (the newest few).
            self._early[notification] = key
            while len(self._early) > EARLY_KEPT:
                del self._early[next(iter(self._early))]
            return
        if key in (OPEN_KEY, CLICKED) and notice.open_project is not None:
            self.day.open(notice.open_project, self.tray.controller.view)

    def close(self) -> None:
        """At quit: let the notifier go."""
        if self.day.notifier is not None:
            self.day.notifier.close()
