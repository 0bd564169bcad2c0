"""Starting the tray: the QApplication, the single-instance check, the event loop, the exit."""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.core.errors import DevtrayError, ExitCode
from desktop.core.polling import PollSchedule
from desktop.presentation.glance import TrayView
from desktop.qt.bridge import CloudBridge
from desktop.qt.controller import TrayController, problem_for
from desktop.qt.single_instance import SingleInstance, SocketReply
from desktop.qt.tray import TrayAddOns, TrayApp, TrayServices
from desktop.services.handover import DayAnswer, DayRequest, ResultKind, answer_line
from desktop.system.logs import setup_logging

log = logging.getLogger(__name__)

# How long a day request waits for the tray's feature rows to load (normally well under 1 s).
_SERVE_WAIT_S = 30.0
_SERVE_RETRY_MS = 100


def _log_unexpected(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    log.critical("unexpected error", exc_info=(kind, error, trace))


def _log_thread_error(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _log_unexpected(args.exc_type, args.exc_value, args.exc_traceback)


def log_unexpected_errors() -> None:
    """Exceptions that escape a slot or a thread go to the log with their traceback."""
    sys.excepthook = _log_unexpected
    threading.excepthook = _log_thread_error


def serve_day(tray: TrayApp, request: DayRequest, reply: SocketReply, waited: float = 0.0) -> None:
    """`devtray up` / `down` from a terminal: the tray's day service runs it on a thread of its
    own (a bring-up takes minutes; the cloud worker stays free), the terminal hears progress.
    A request that comes while the day's modules still load waits for them."""
    serve = tray.services.serve_day
    if serve is None:
        if waited < _SERVE_WAIT_S:
            QTimer.singleShot(
                _SERVE_RETRY_MS,
                lambda: serve_day(tray, request, reply, waited + _SERVE_RETRY_MS / 1000),
            )
            return
        reply.send(answer_line(DayAnswer(ResultKind.FAILED, "devtray is still starting.")))
        reply.close()
        return

    def run() -> None:
        try:
            serve(request, reply.send)
        finally:
            reply.close()

    threading.Thread(target=run, name="day-request", daemon=True).start()


def missing_display(
    platform: str = sys.platform, environ: Mapping[str, str] | None = None
) -> str | None:
    """Why a Linux tray cannot open a window here (no X or Wayland display), or None.

    Said before Qt tries: without a display, Qt's xcb plugin fails and blames libxcb-cursor0.
    """
    environ = os.environ if environ is None else environ
    qpa = environ.get("QT_QPA_PLATFORM", "")
    if not platform.startswith("linux") or qpa.split(":")[0] not in ("", "xcb", "wayland"):
        return None  # macOS, Windows, or a platform without a display (offscreen)
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "error: devtray's tray needs a graphical desktop, and there is none here "
        "(neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
        "  Start it from your desktop session (or at login: Settings… > Start devtray when I "
        "log in); over SSH, use the command line: devtray --help\n"
    )


def freeze_once_settled(controller: TrayController) -> None:
    """When the cloud first answers (the feature rows are attached by then, the cloud SDK's
    models loaded), freeze every object alive out of later garbage collections. They live
    until quit; left in, each full collection during the day scans them again (~60,000
    objects: 20-35 ms with every thread stopped, a GUI stall of two frames)."""
    settled = False

    def first_answer(view: TrayView) -> None:
        nonlocal settled
        if settled or (not view.loaded and view.problem is None):
            return
        settled = True
        gc.freeze()

    controller.view_changed.connect(first_answer)


def run_tray(
    services: TrayServices,
    schedule: PollSchedule,
    *,
    argv: Sequence[str] = (),
    quit_after_startup: bool = False,
    started: float | None = None,
    startup_error: DevtrayError | None = None,
) -> int:
    """Run the tray until Quit; returns the exit code.

    With `quit_after_startup`, exit 0 as soon as the icon is up and print the start-up time
    (from `started`, a `time.perf_counter()` value): the benchmark's measurement point. The
    first look at the cloud happens right after that point, on a worker, in normal runs.
    A `startup_error` (a config file devtray cannot read) is shown in a window once the icon
    is up; the tray keeps running so Settings… can fix it.
    """
    started = time.perf_counter() if started is None else started
    no_display = missing_display()
    if no_display is not None:
        sys.stderr.write(no_display)
        return int(ExitCode.USAGE)
    log_unexpected_errors()
    app = QApplication.instance() or QApplication(["devtray", *argv])
    assert isinstance(app, QApplication)
    app.setApplicationName("devtray")
    app.setQuitOnLastWindowClosed(False)
    instance = SingleInstance()
    if not instance.claim():
        if instance.other_answered:
            sys.stdout.write("devtray is already running; asked it to show its menu.\n")
        else:
            sys.stdout.write(
                "devtray is already running but did not answer; if it is stuck, end it and "
                "start devtray again.\n"
            )
        return 0
    bridge = CloudBridge()
    controller = TrayController(
        bridge,
        services.demo_providers if services.demo else services.providers,
        schedule,
        demo=services.demo,
    )
    freeze_once_settled(controller)
    tray = TrayApp(services, controller)
    instance.show_requested.connect(tray.show_menu)
    instance.message_received.connect(tray.on_cli_message)
    instance.day_requested.connect(lambda request, reply: serve_day(tray, request, reply))
    tray.show()
    if startup_error is not None:
        setup_logging()  # early, so the error is in the log "Open log" opens
        tray.report_problem(problem_for(startup_error))
        tray.show_problem()

    def finish_start_up(then: Callable[[], None]) -> None:
        # What the icon does not need waits until it is up: the log file, the socket a
        # second launch knocks on, and the feature rows (their modules take ~100 ms to
        # import, so a worker imports them and only their construction runs here).
        # The collector was off while the icon came up (see start_tray); what start-up made
        # lives until quit, so freeze it out of every later collection.
        gc.freeze()
        gc.enable()
        setup_logging()
        instance.listen()
        if services.add_ons is None:
            then()
            return

        def attach(build: Callable[[], TrayAddOns]) -> None:
            try:
                tray.attach_add_ons(build())
            finally:
                then()  # the tray works without the rows (the bridge logs why they failed)

        def failed(error: BaseException) -> None:
            log.error("the sync, tunnel and cost rows could not be loaded", exc_info=error)
            then()

        bridge.submit(services.add_ons, attach, failed)

    def report_and_quit() -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        sys.stdout.write(f"devtray started in {elapsed_ms:.0f} ms\n")
        sys.stdout.flush()
        # Still finished, so the benchmark's peak RSS counts all of it.
        finish_start_up(then=app.quit)

    QTimer.singleShot(
        0, report_and_quit if quit_after_startup else lambda: finish_start_up(controller.start)
    )
    try:
        app.exec()
    finally:
        tray.shutdown()
        instance.release()
    return 0
