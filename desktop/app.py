"""Composition root: builds the services once and hands them to the CLI or the tray.

`devtray` with no arguments starts the tray, `devtray --demo` starts it against the demo cloud,
`--quit-after-startup` makes it print its start-up time and exit (the benchmark's probe). Any
other arguments are a CLI command; that path never imports Qt.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from desktop.core.config import Config, config_path, load_config

if TYPE_CHECKING:
    from desktop.core.aws_sign_in import AwsSignInRequest
    from desktop.core.project import Project
    from desktop.core.provider import CancelToken, Provider
    from desktop.core.text import Text
    from desktop.presentation.glance import TrayView
    from desktop.qt.controller import TrayController
    from desktop.qt.cost_autostop import CostAndAutostop, FlushBeforeStop, LaptopActivity
    from desktop.qt.day_runner import DayRunner
    from desktop.qt.spot_watch import SpotWatch
    from desktop.qt.tray import TrayAddOns
    from desktop.services.config import ConfigSource
    from desktop.services.day import DayService
    from desktop.services.demo_world import DemoWorld
    from desktop.services.registry import Services

TRAY_FLAGS = frozenset({"--demo", "--quit-after-startup"})


def build_services() -> Services:
    """Load the config and prepare (lazily) the providers it names."""
    from desktop.services.registry import Services

    config = load_config()
    built: list[Sequence[Provider]] = []

    def providers() -> Sequence[Provider]:
        # Cloud SDKs load here, on first use, not at start-up.
        if not built:
            from desktop.providers import build_providers

            built.append(build_providers(config))
        return built[0]

    return Services(config=config, providers=providers)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `devtray` and `python -m desktop`."""
    started = time.perf_counter()
    args = list(sys.argv[1:] if argv is None else argv)
    if all(arg in TRAY_FLAGS for arg in args):
        return start_tray(
            demo="--demo" in args,
            quit_after_startup="--quit-after-startup" in args,
            started=started,
        )
    from desktop.cli import main as cli_main

    return cli_main(args, build_services)


def configured_providers() -> Sequence[Provider]:
    # Read afresh each time: Settings… and Sign in… change the config while the tray runs.
    from desktop.providers import build_providers

    return build_providers(load_config())


def demo_providers() -> Sequence[Provider]:
    from desktop.providers.demo import DemoProvider

    return [DemoProvider.from_environment()]


def _aws_sign_in(
    request: AwsSignInRequest, show_code: Callable[[str, str], None], cancel: CancelToken
) -> str:
    """IAM Identity Center device sign-in, as `devtray sign-in aws` does it (from a start URL:
    the profile set up as `aws configure sso` would)."""
    from desktop.providers.aws.sso_setup import sign_in_as_requested

    return sign_in_as_requested(
        request,
        lambda code: show_code(code.verification_uri_complete, code.user_code),
        cancel=cancel,
    )


def _azure_sign_in(tenant: str | None, show_code: Callable[[str, str], None]) -> str:
    """Microsoft sign-in, as `devtray sign-in azure` does it (a device code without a browser)."""
    from desktop.providers.azure.identity import sign_in

    record = sign_in(load_config().azure, tenant, device_code=False, show_code=show_code)
    return f"Signed in to Azure as {record.username} (tenant {record.tenant_id})."


def _load_cost_and_autostop(
    config: Config,
) -> Callable[[FlushBeforeStop, LaptopActivity], CostAndAutostop]:
    """On a worker: imports what the cost line and auto-stop need; returns what builds them
    (on the GUI thread), probing the VM over SSH and recording snoozes there."""
    from datetime import UTC, datetime, timedelta

    from desktop.core.localtime import local_zone
    from desktop.core.spend_tracker import SpendTracker
    from desktop.qt.cost_autostop import TICK_MS, CostAndAutostop
    from desktop.qt.desktop_notifications import ActionNotifier
    from desktop.remote.idle_agent import record_snooze, ssh_to, vm_was_active

    settings = config.autostop
    since = timedelta(milliseconds=TICK_MS)
    notifier = ActionNotifier.shared("devtray")  # D-Bus round trips: here, off the GUI thread

    def build(flush: FlushBeforeStop, laptop_activity: LaptopActivity) -> CostAndAutostop:
        return CostAndAutostop(
            SpendTracker.on_this_machine(),
            settings,
            activity=lambda vm: vm_was_active(vm, settings, since),
            laptop_activity=laptop_activity,
            clock=lambda: datetime.now(UTC),
            tz=local_zone(),
            record_on_vm=lambda provider, vm, until: record_snooze(
                provider, vm, lambda: ssh_to(vm), until
            ),
            flush=flush,
            notifier=notifier,
        )

    return build


def _load_spot_watch() -> Callable[[FlushBeforeStop, Callable[[], Config]], SpotWatch]:
    """On a worker: imports what the spot notices need; returns what builds them (on the GUI
    thread). Notices are read over SSH from the VM's watcher, sync is flushed on one, and the
    market switch waits for the new instance's SSH where the SSH block will point."""
    from datetime import UTC, datetime

    from desktop.core.localtime import local_zone
    from desktop.qt.spot_watch import SpotWatch
    from desktop.remote.idle_agent import notice_of
    from desktop.remote.ssh_greeting import ssh_answers

    def build(flush: FlushBeforeStop, config: Callable[[], Config]) -> SpotWatch:
        return SpotWatch(
            notice_of,
            flush,
            clock=lambda: datetime.now(UTC),
            tz=local_zone(),
            answers=lambda new: ssh_answers(new, [], config()),
        )

    return build


def autostart_command() -> list[str]:
    """What start-at-login runs: the installed app, the `devtray` script, else this Python."""
    from desktop.system.bundle import cli_command, is_frozen, launch_command

    return launch_command() if is_frozen() else cli_command()


class DemoWorldOnce:
    """The demo's world (cloud + stand-in VM), made on first use on a worker and shared by the
    tray's clouds and its day; `which` finds the programs the stand-in needs for SSH (default:
    PATH and the sbin folders)."""

    def __init__(self, which: Callable[[str], str | None] | None = None) -> None:
        self._lock = threading.Lock()
        self._world: DemoWorld | None = None
        self._which = which

    def get(self) -> DemoWorld:
        """The world, made the first time."""
        with self._lock:
            if self._world is None:
                from desktop.services.demo_world import create

                self._world = create() if self._which is None else create(which=self._which)
            return self._world

    def providers(self) -> Sequence[Provider]:
        """The demo cloud, as a providers factory."""
        return [self.get().provider]


def load_tray_add_ons(
    config: Config, demo: DemoWorldOnce | None = None
) -> Callable[[], TrayAddOns]:
    """The day, sync, tunnels, IDE and cost/auto-stop rows. Runs on a worker thread once the
    icon is up: their modules take ~100 ms to import, so they load there while the icon and
    menu keep answering; returns what builds the rows on the GUI thread (they are Qt objects)."""
    from functools import partial

    from desktop.core.spend_tracker import SpendTracker
    from desktop.presentation.rows import OpenInMenu, ProjectsOfVm, SyncMenu, TunnelsMenu
    from desktop.qt.tray import TrayAddOns
    from desktop.remote.supervisor import Supervisor, default_log_dir
    from desktop.remote.tray_activity import LaptopActivity
    from desktop.services import handover
    from desktop.services.config import ConfigSource
    from desktop.services.registry import build_day

    world = demo.get() if demo is not None else None
    if world is not None:  # the demo's day runs on its own config and SSH block
        config = world.config()
    cost_and_autostop_for = _load_cost_and_autostop(config)
    day_runner_for = _load_day_runner()
    spot_watch_for = _load_spot_watch()

    def build() -> TrayAddOns:
        woke: list[Callable[[float], None]] = []

        def on_wake(seconds: float) -> None:
            for callback in woke:
                callback(seconds)

        source = ConfigSource(config)
        source.watch()
        # The tray's own clouds (the demo's in the demo), known once the controller is.
        tray_providers: list[Callable[[], Sequence[Provider]]] = [configured_providers]
        day = build_day(
            source,
            lambda: tray_providers[0](),
            SpendTracker.on_this_machine(),
            Supervisor(default_log_dir(), on_wake=on_wake),
            writer=world.writer if world is not None else None,
            link=world.link() if world is not None else None,
        )
        sync, connect = day.sync, day.connect
        woke.append(sync.on_wake)
        cost_and_autostop = cost_and_autostop_for(day.before_stop, LaptopActivity(sync, connect))
        spot = spot_watch_for(sync.bring_results_home, source.current)

        # The VMs' rows read my projects from the day's panel once the day is made.
        projects_of_vm = ProjectsOfVm(connect)

        def make_day(controller: TrayController) -> DayRunner:
            runner = day_runner_for(day, source, controller, tray_providers)
            projects_of_vm.projects = lambda: runner.panel.projects
            return runner

        def follow_vms(view: TrayView) -> None:
            if view.demo or not view.loaded:
                return
            for vm in view.vms:
                day.on_vm(vm, view.vms)

        return TrayAddOns(
            contributions=(
                cost_and_autostop,
                spot,
                SyncMenu(sync, projects_of_vm),
                TunnelsMenu(connect, projects_of_vm),
                OpenInMenu(connect, projects_of_vm),
            ),
            on_quit=(
                partial(day.close, forget=False),
                connect.close,
                source.stop_watching,
                *((world.close,) if world is not None else ()),
            ),
            on_view=(connect.on_view, follow_vms),
            extensions=(cost_and_autostop, spot),
            serve_day=lambda request, send: handover.serve(request, day, send),
            before_stop=day.before_stop,
            day=make_day,
            notifier=cost_and_autostop.notifier,
        )

    return build


def _hourly_price(controller: TrayController, vm_id: str) -> Text | None:
    """What the running VM costs an hour, `$0.19/h` (asks the cloud's price list)."""
    from desktop.core.cost import CostSource
    from desktop.core.model import VmState
    from desktop.core.text import QT_TRANSLATE_NOOP, Money

    provider, vm = controller.provider_for(vm_id), controller.view.vm(vm_id)
    if not isinstance(provider, CostSource) or vm is None:
        return None
    sheet = provider.price_sheet(vm)
    hourly = sheet.rates().for_state(VmState.RUNNING)
    if hourly is None:
        return None
    return QT_TRANSLATE_NOOP("app", "{price}/h")(price=Money(hourly, sheet.currency, hourly=True))


def _load_day_runner() -> Callable[
    [DayService, ConfigSource, TrayController, list[Callable[[], Sequence[Provider]]]], DayRunner
]:
    """On a worker: the day rows' imports and the D-Bus handshake of their notifications;
    returns what builds the tray's day (on the GUI thread, once the controller exists)."""
    from functools import partial
    from pathlib import Path

    from desktop.qt.day_runner import DayRunner
    from desktop.qt.desktop_notifications import ActionNotifier
    from desktop.remote.ide import IdeKind
    from desktop.services.projects import list_projects, remember_project

    notifier = ActionNotifier.shared("devtray")  # the same one: one notification style

    def build(
        day: DayService,
        source: ConfigSource,
        controller: TrayController,
        providers: list[Callable[[], Sequence[Provider]]],
    ) -> DayRunner:
        providers[0] = controller.providers
        config_path = source.current().path or Path("config.toml")

        def remember(folder: Path) -> object:
            project = remember_project(config_path, folder)
            source.poll()
            return project

        def load_projects() -> Sequence[Project]:
            source.poll()  # "Add project folder…" and Set up your day just wrote the file
            return list_projects(source.current()).projects

        return DayRunner(
            controller.bridge,
            day,
            open_project=lambda project, vm, vms: day.connect.open_in(
                IdeKind(project.ide or "vscode"), vm, vms, project
            ),
            auto_open=lambda: source.current().connect.open_ide,
            load_projects=load_projects,
            remember=remember,
            price=partial(_hourly_price, controller),
            notifier=notifier,
        )

    return build


def start_tray(*, demo: bool, quit_after_startup: bool, started: float) -> int:
    """Build the tray's services and run it until Quit; the process ends with it."""
    from desktop.core.errors import DevtrayError
    from desktop.core.polling import PollSchedule
    from desktop.system.autostart import Autostart

    startup_error: DevtrayError | None = None
    try:
        config = load_config()
    except DevtrayError as exc:
        # The tray still starts, shows the error and lets Settings… fix the file.
        sys.stderr.write(f"error: {exc}\n")
        startup_error = exc
        config = Config(path=config_path(), exists=config_path().exists())
    # Start-up creates thousands of objects that live as long as the tray (modules, classes,
    # Qt wrappers); the cyclic collector would scan them again and again while they load.
    # run_tray turns it back on once the icon is up.
    gc.disable()
    from desktop.qt.launch import run_tray
    from desktop.qt.tray import TrayServices

    world = DemoWorldOnce()  # made on a worker, and only in the demo

    assert config.path is not None
    services = TrayServices(
        config_path=config.path,
        config_exists=config.exists,
        providers=configured_providers,
        demo_providers=world.providers if demo else demo_providers,
        autostart=Autostart(autostart_command()),
        demo=demo,
        sign_in=_aws_sign_in,
        azure_sign_in=_azure_sign_in,
        add_ons=lambda: load_tray_add_ons(config, world if demo else None),
    )
    schedule = PollSchedule(fast=config.polling.fast_seconds, slow=config.polling.slow_seconds)
    code = run_tray(
        services,
        schedule,
        quit_after_startup=quit_after_startup,
        started=started,
        startup_error=startup_error,
    )
    exit_without_teardown(code)


def exit_without_teardown(code: int) -> NoReturn:
    """End the tray process now that it has shut down (children stopped, windows closed).

    Python's own exit would next join every cloud worker thread (a call stuck on the network
    holds the quit for its whole timeout) and free Qt's and Python's objects one by one
    (~30 ms): nothing is left that needs either, so flush what is buffered and go.
    """
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
