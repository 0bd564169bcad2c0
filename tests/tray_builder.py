"""The tray built the way `desktop.app.start_tray` builds it (services, controller, the feature
rows loaded on a worker by the composition root), and a project for its day, for the Qt tests,
the e2e test and the benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop.app import (
    DemoWorldOnce,
    _aws_sign_in,
    _azure_sign_in,
    configured_providers,
    demo_providers,
    load_tray_add_ons,
)
from desktop.core.config import load_config
from desktop.core.polling import PollSchedule
from desktop.qt.bridge import CloudBridge
from desktop.qt.controller import TrayController
from desktop.qt.tray import TrayAddOns, TrayApp, TrayServices
from desktop.system.autostart import Autostart
from tests.integration.connect_helpers import moto_vm, write_config
from tests.moto_server import ec2_client
from tests.sshd import SshServer


def production_tray(schedule: PollSchedule, demo: DemoWorldOnce | None = None) -> TrayApp:
    """A shown tray whose add-ons are loading (wait for `tray.day`) and whose first look at
    the cloud is under way."""
    config = load_config()
    assert config.path is not None
    services = TrayServices(
        config_path=config.path,
        config_exists=config.exists,
        providers=configured_providers,
        demo_providers=demo.providers if demo else demo_providers,
        autostart=Autostart(["devtray"], platform="linux"),
        demo=demo is not None,
        sign_in=_aws_sign_in,
        azure_sign_in=_azure_sign_in,
        add_ons=lambda: load_tray_add_ons(config, demo),
        open_file=lambda _path: None,
        open_url=lambda _url: None,
    )
    controller = TrayController(
        CloudBridge(),
        services.demo_providers if demo else configured_providers,
        schedule,
        demo=demo is not None,
    )
    tray = TrayApp(services, controller)
    tray.show()

    def attach(build: Callable[[], TrayAddOns]) -> None:
        tray.attach_add_ons(build())

    def failed(error: BaseException) -> None:
        raise AssertionError("the feature rows did not load") from error

    add_ons = services.add_ons
    assert add_ons is not None
    controller.bridge.submit(add_ons, attach, failed)
    controller.start()
    return tray


def day_project(
    root: Path,
    config_file: Path,
    sshd: SshServer,
    *,
    files: int = 1,
    toml: str = "",
    config: str = "",
    running: bool = False,
) -> tuple[Path, Path, str]:
    """A project folder (`files` small modules, `.devtray.toml` = its remote folder + `toml`),
    devtray's config listing it in `[[projects]]` (+ `config`), and a moto VM `devbox` reached
    at `sshd` (stopped unless `running`); returns the folder, its VM folder and the VM id."""
    project, remote = root / "app", root / "vm" / "app"
    (project / "src").mkdir(parents=True)
    for n in range(files):
        (project / "src" / f"module_{n:04d}.py").write_text(f"VALUE = {n}\n")
    (project / ".devtray.toml").write_text(f'remote_path = "{remote}"\n{toml}')
    write_config(config_file, sshd)
    with config_file.open("a") as handle:
        handle.write(f'\n{config}\n\n[[projects]]\nfolder = "{project}"\nvm = "devbox"\n')
    vm_id = moto_vm("devbox")
    if not running:
        ec2_client().stop_instances(InstanceIds=[vm_id])
    return project, remote, vm_id
