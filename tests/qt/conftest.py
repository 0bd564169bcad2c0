"""Qt tests run on the offscreen platform with real widgets and a real event loop (pytest-qt)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.core.config import config_path
from desktop.core.model import VmState
from desktop.core.polling import PollSchedule
from desktop.core.provider import Provider
from desktop.presentation.glance import TrayView
from desktop.presentation.menu import MenuContribution
from desktop.providers.demo import DemoFaults, DemoProvider, DemoTimings
from desktop.qt.bridge import CloudBridge
from desktop.qt.controller import TrayController
from desktop.qt.signin_window import AwsSignIn, SignIn
from desktop.qt.tray import TrayApp, TrayExtension, TrayServices
from desktop.system.autostart import Autostart
from desktop.system.logs import setup_logging

# Realistic demo timings divided by 100: a start takes 0.2 s, a stop 0.1 s.
FAST = DemoTimings().scaled(0.01)
FAST_POLLING = PollSchedule(fast=0.05, slow=0.5, offline=0.5)


@dataclass
class Harness:
    """A running tray (controller + icon + menu) against some clouds, and what it opened."""

    tray: TrayApp
    controller: TrayController
    demo: DemoProvider
    opened_files: list[Path] = field(default_factory=list)


def make_demo(state: VmState = VmState.STOPPED, faults: str = "") -> DemoProvider:
    """The demo cloud with one VM, fast timings and the given faults."""
    return DemoProvider(
        (("demo-devbox", "demo.large", state),), timings=FAST, faults=DemoFaults.parse(faults)
    )


@pytest.fixture
def make_tray(qtbot: object, isolated_home: Path) -> Iterator[Callable[..., Harness]]:
    """Build a tray; every one built is shut down after the test."""
    built: list[TrayApp] = []

    def build(
        demo: DemoProvider | None = None,
        *,
        providers: Callable[[], Sequence[Provider]] | None = None,
        demo_mode: bool = True,
        contributions: Sequence[MenuContribution] = (),
        extensions: Sequence[TrayExtension] = (),
        schedule: PollSchedule = FAST_POLLING,
        on_view: Sequence[Callable[[TrayView], None]] = (),
        on_quit: Sequence[Callable[[], None]] = (),
        azure_sign_in: SignIn | None = None,
        sign_in: AwsSignIn | None = None,
        open_url: Callable[[str], None] | None = None,
        open_file: Callable[[Path], bool] | None = None,
    ) -> Harness:
        demo = demo or make_demo()
        opened: list[Path] = []

        def record(path: Path) -> bool:
            opened.append(path)
            return True  # as the desktop's viewer would

        opened_pages: list[str] = []  # no test opens a real browser
        services = TrayServices(
            config_path=config_path(),
            config_exists=config_path().exists(),
            providers=providers or (lambda: [demo]),
            demo_providers=lambda: [demo],
            autostart=Autostart(["devtray"], platform="linux"),
            demo=demo_mode,
            contributions=contributions,
            extensions=extensions,
            open_file=open_file or record,
            on_view=on_view,
            on_quit=on_quit,
            azure_sign_in=azure_sign_in,
            sign_in=sign_in,
            open_url=open_url or opened_pages.append,
        )
        controller = TrayController(
            CloudBridge(),
            services.providers if not demo_mode else services.demo_providers,
            schedule,
            demo=demo_mode,
        )
        tray = TrayApp(services, controller)
        tray.show()
        built.append(tray)
        controller.start()
        return Harness(tray, controller, demo, opened)

    yield build
    for tray in built:
        tray.shutdown()


@pytest.fixture
def devtray_log() -> Iterator[Path]:
    """The log set up as the tray does it; the handler is removed afterwards (it is global)."""
    logger = logging.getLogger("desktop")
    before = list(logger.handlers)
    # An earlier test's log file handler (another HOME) would keep this test's lines.
    for handler in before:
        logger.removeHandler(handler)
    path = setup_logging()
    yield path
    for handler in logger.handlers[:]:
        logger.removeHandler(handler)
        handler.close()
    for handler in before:
        logger.addHandler(handler)
