"""Start at login on each platform, and Settings written without losing the user's file."""

from __future__ import annotations

import plistlib
import shlex
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.core.config import load_config
from desktop.core.errors import BadConfig
from desktop.core.files import backup_path
from desktop.presentation.tray_settings import Cloud, TraySettings, save_settings
from desktop.system.autostart import Autostart, linux_entry, macos_entry, windows_command

ARGV = ["/home/al ice/.local/bin/devtray", "--demo"]


class FakeRunKey:
    """Stands in for the Windows registry's Run key (no registry on this machine)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_linux_autostart_entry_is_written_and_removed(tmp_path: Path) -> None:
    autostart = Autostart(ARGV, platform="linux", environ={"HOME": str(tmp_path)})
    assert autostart.path == tmp_path / ".config" / "autostart" / "devtray.desktop"
    assert not autostart.enabled()
    autostart.enable()
    text = autostart.path.read_text()
    assert text.startswith("[Desktop Entry]\nType=Application\n")
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert shlex.split(exec_line.removeprefix("Exec=")) == ARGV
    assert autostart.enabled()
    autostart.disable()
    assert not autostart.enabled()


def test_desktop_entry_quotes_reserved_characters() -> None:
    entry = linux_entry(['/opt/dev "tray"/bin/devtray', "100%"])
    assert 'Exec="/opt/dev \\"tray\\"/bin/devtray" 100%%\n' in entry


def test_macos_launch_agent(tmp_path: Path) -> None:
    autostart = Autostart(ARGV, platform="darwin", environ={"HOME": str(tmp_path)})
    autostart.enable()
    assert autostart.path == tmp_path / "Library/LaunchAgents/dev.devtray.tray.plist"
    plist = plistlib.loads(autostart.path.read_bytes())
    assert plist == plistlib.loads(macos_entry(ARGV))
    assert plist["ProgramArguments"] == ARGV
    assert plist["RunAtLoad"] is True
    assert plist["Label"] == "dev.devtray.tray"


def test_windows_run_key() -> None:
    run_key = FakeRunKey()
    argv = [r"C:\Program Files\devtray\devtray.exe", "--demo"]
    autostart = Autostart(argv, platform="win32", environ={}, run_key=run_key)
    assert autostart.path is None
    autostart.enable()
    assert run_key.values == {"devtray": '"C:\\Program Files\\devtray\\devtray.exe" --demo'}
    assert windows_command(argv) == run_key.values["devtray"]
    assert autostart.enabled()
    autostart.disable()
    assert run_key.values == {}


def test_settings_keep_comments_and_other_keys(config_file: Path, tmp_path: Path) -> None:
    config_file.write_text(
        "# my devtray config\n"
        "[aws]\n"
        'profile = "old"  # the work account\n'
        'owner = "alice"\n'
        "\n[ssh]\n"
        'user = "dev"\n'
    )
    original = config_file.read_text()
    autostart = Autostart(ARGV, platform="linux", environ={"HOME": str(tmp_path)})
    current = TraySettings.from_config(load_config(config_file), start_at_login=False)
    assert (current.profile, current.owner_tag) == ("old", "Owner")
    changed = replace(
        current,
        profile="dev",
        region="eu-west-1",
        owner_tag="Owner",
        fast_seconds=1,
        slow_seconds=20,
        start_at_login=True,
    )
    save_settings(config_file, changed, current, autostart)
    text = config_file.read_text()
    assert "# my devtray config" in text and 'owner = "alice"' in text and 'user = "dev"' in text
    assert "# the work account" in text
    config = load_config(config_file)
    assert config.aws is not None
    assert (config.aws.profile, config.aws.region, config.aws.owner) == (
        "dev",
        "eu-west-1",
        "alice",
    )
    assert (config.polling.fast_seconds, config.polling.slow_seconds) == (1, 20)
    assert backup_path(config_file).read_text() == original
    assert autostart.enabled()
    save_settings(
        config_file,
        replace(changed, profile="", start_at_login=False),
        changed,
        autostart,
    )
    config = load_config(config_file)
    assert config.aws is not None and config.aws.profile is None
    assert not autostart.enabled()


def test_settings_refuse_fast_polling_slower_than_slow(config_file: Path, tmp_path: Path) -> None:
    autostart = Autostart(ARGV, platform="linux", environ={"HOME": str(tmp_path)})
    with pytest.raises(BadConfig, match="Polling"):
        save_settings(
            config_file, TraySettings(fast_seconds=40, slow_seconds=30), TraySettings(), autostart
        )
    assert not config_file.exists()


def test_azure_settings_keep_a_private_cloud_and_leave_aws_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[aws]\nprofile = "work"\n\n[azure]\n# our Azure Stack\n'
        'arm_endpoint = "https://arm.example"\nauthority = "https://login.example"\n'
        'subscription = "00000000-0000-0000-0000-000000000000"\nresource_group = "rg"\n'
        'lab = "old-lab"\n',
        encoding="utf-8",
    )
    current = TraySettings.from_config(load_config(path), start_at_login=False)
    assert current.cloud is Cloud.AWS  # both configured: AWS stays what the dialog opens on
    assert (current.azure_lab, current.azure_cloud) == ("old-lab", "AzureCloud")

    changed = replace(current, cloud=Cloud.AZURE, azure_lab="new-lab")
    autostart = Autostart(ARGV, platform="linux", environ={"HOME": str(tmp_path)})
    save_settings(path, changed, current, autostart)

    config = load_config(path)
    assert config.azure is not None and config.azure.labs[0].name == "new-lab"
    assert config.azure.arm_endpoint == "https://arm.example"  # no `cloud` written beside it
    assert config.aws is not None and config.aws.profile == "work"
    assert "# our Azure Stack" in path.read_text(encoding="utf-8")


def test_a_save_writes_only_what_changed(config_file: Path, tmp_path: Path) -> None:
    autostart = Autostart(ARGV, platform="linux", environ={"HOME": str(tmp_path)})
    before = TraySettings.from_config(load_config(config_file), start_at_login=False)
    save_settings(config_file, replace(before, start_at_login=True), before, autostart)
    assert autostart.enabled()
    assert not config_file.exists()  # nothing of the file's changed: it is not written
    config_file.write_text("[autostop]\nwarn_minutes = 5\n")
    before = TraySettings.from_config(load_config(config_file), start_at_login=True)
    changed = replace(before, stop_at="18:30", stop_days=("mon", "tue"), ssh_user="dev")
    save_settings(config_file, changed, before, autostart)
    assert config_file.read_text() == (
        'schema = 1\n\n[autostop]\nwarn_minutes = 5\nstop_at = "18:30"\ndays = ["mon", "tue"]\n'
        '\n[ssh]\nuser = "dev"\n'
    )
    assert TraySettings.from_config(load_config(config_file), start_at_login=True) == changed
