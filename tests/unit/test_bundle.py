"""Finding shipped resources and relaunching the app, from a checkout and from a frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop.system import bundle
from desktop.system.bundle import MissingResource, launch_command, resource_path, resources_dir

REPO = Path(__file__).resolve().parents[2]


def test_from_a_checkout_resources_are_the_repository_folder() -> None:
    assert resources_dir() == REPO / "resources"
    assert resource_path("app/devtray.svg") == REPO / "resources" / "app" / "devtray.svg"
    assert launch_command("--demo") == [sys.executable, "-m", "desktop", "--demo"]


def test_frozen_resources_live_in_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "resources" / "app").mkdir(parents=True)
    (tmp_path / "resources" / "app" / "devtray.svg").write_text("<svg/>", encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "devtray"))
    assert bundle.is_frozen()
    assert resource_path("app/devtray.svg") == tmp_path / "resources" / "app" / "devtray.svg"
    # Start at login must start the installed binary, not a Python the user may not have.
    assert launch_command("--minimized") == [str(tmp_path / "devtray"), "--minimized"]


def test_frozen_windows_starts_the_windowed_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "devtray.exe").touch()
    (tmp_path / "devtrayw.exe").touch()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "devtray.exe"))
    assert launch_command() == [str(tmp_path / "devtrayw.exe")]


def test_start_at_login_runs_the_installed_app_when_frozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.app import autostart_command

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/devtray/devtray")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `devtray` script, no Python to fall back on
    assert autostart_command() == ["/opt/devtray/devtray"]


def test_a_missing_resource_says_the_install_is_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(bundle.RESOURCES_DIR_ENV, str(tmp_path))
    with pytest.raises(MissingResource) as caught:
        resource_path("icons/nothing.svg")
    assert "icons/nothing.svg is missing" in caught.value.message
    assert caught.value.hint is not None and "Reinstall" in caught.value.hint
