"""The frozen app works without the source tree: CLI, cloud calls, Qt plugins, resources."""

from __future__ import annotations

import ast
import json
import os
import subprocess
from pathlib import Path

import pytest

from desktop import __version__
from desktop.system.bundle import RESOURCES_DIRNAME
from tests.moto_server import MotoEndpoint, run_instance

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[2]


def run_frozen(app: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the frozen `devtray` from a folder far from the checkout, with no Python on PATH."""
    env = dict(os.environ, PATH="/usr/bin:/bin")
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [str(app / "devtray"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=app.parent,
        check=False,
    )


def bundled_resources(app: Path) -> Path:
    return app / "_internal" / RESOURCES_DIRNAME


def test_version(frozen_app: Path) -> None:
    result = run_frozen(frozen_app, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"devtray {__version__}"


def test_status_json_against_moto(frozen_app: Path, moto: MotoEndpoint) -> None:
    vm_id = run_instance("devbox", instance_type="t3.large")
    result = run_frozen(frozen_app, "status", "--json")
    assert result.returncode == 0, result.stderr
    vms = json.loads(result.stdout)
    assert [(vm["id"], vm["name"], vm["state"], vm["size"]) for vm in vms] == [
        (vm_id, "devbox", "running", "t3.large")
    ]
    # Cost Explorer's model is bundled: moto answers, with no costs under the tag.
    assert "no costs carry the tag Owner" in vms[0]["billed_unavailable"]


def test_bad_config_is_a_message_not_a_traceback(frozen_app: Path, config_file: Path) -> None:
    config_file.write_text("[aws]\nregion = 3\n", encoding="utf-8")
    result = run_frozen(frozen_app, "status")
    assert result.returncode == 2
    assert "aws.region must be a string" in result.stderr
    assert "Traceback" not in result.stderr


def referenced_resources() -> set[str]:
    """Every path passed to resource_path(...) in the app's code, as a glob pattern.

    An f-string such as f"icons/devtray-{state}.svg" becomes "icons/devtray-*.svg".
    """
    found = set()
    for source in (REPO / "desktop").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "resource_path"
                and node.args
            ):
                continue
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value)
            elif isinstance(argument, ast.JoinedStr):
                found.add(
                    "".join(
                        str(part.value) if isinstance(part, ast.Constant) else "*"
                        for part in argument.values
                    )
                )
            else:
                raise AssertionError(f"{source}: resource_path() with a computed path")
    return found


def test_every_referenced_resource_is_in_the_bundle(frozen_app: Path) -> None:
    bundled = bundled_resources(frozen_app)
    patterns = referenced_resources()
    assert "icons/devtray-*.svg" in patterns  # the tray's state icons
    missing = sorted(pattern for pattern in patterns if not list(bundled.glob(pattern)))
    assert missing == []


def test_every_resource_file_is_in_the_bundle(frozen_app: Path) -> None:
    shipped = {p.relative_to(REPO / "resources") for p in (REPO / "resources").rglob("*")}
    bundled = {
        p.relative_to(bundled_resources(frozen_app))
        for p in bundled_resources(frozen_app).rglob("*")
    }
    assert Path("app/devtray.svg") in bundled
    assert shipped - bundled == set()


def test_package_data_files_are_in_the_bundle(frozen_app: Path) -> None:
    package = REPO / "desktop"
    data = {
        p.relative_to(REPO)
        for p in package.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert Path("desktop/py.typed") in data
    missing = sorted(str(p) for p in data if not (frozen_app / "_internal" / p).is_file())
    assert missing == []


def test_qt_has_what_a_tray_needs_and_nothing_heavy(frozen_app: Path) -> None:
    internal = frozen_app / "_internal"
    names = {p.relative_to(internal).as_posix() for p in internal.rglob("*") if p.is_file()}
    plugins = "PySide6/Qt/plugins/"
    for needed in (
        "platforms/libqxcb.so",
        "platforms/libqwayland.so",
        "platforms/libqoffscreen.so",
        "iconengines/libqsvgicon.so",
        "imageformats/libqsvg.so",
    ):
        assert plugins + needed in names
    heavy = sorted(
        n for n in names if any(w in n for w in ("WebEngine", "Qt6Qml", "Qt6Quick", "Qt6Pdf"))
    )
    assert heavy == []
    assert not any(n.startswith(plugins + "platformthemes/libqgtk3") for n in names)


def test_botocore_models_are_only_the_services_devtray_calls(frozen_app: Path) -> None:
    data = frozen_app / "_internal" / "botocore" / "data"
    services = sorted(p.name for p in data.iterdir() if p.is_dir())
    assert services == ["ce", "ec2", "pricing", "ssm", "sso", "sso-oidc", "sts"]
    assert all(len(list((data / s).iterdir())) == 1 for s in services)  # newest API version only
