"""The layers hold: no Qt outside desktop/qt, no cloud SDK at CLI start-up, contracts kept."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import desktop

ROOT = Path(__file__).resolve().parents[2]

BLOCK_AND_IMPORT = """
import importlib, sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6."):
            raise ImportError("PySide6 is blocked in this test")
        return None

sys.meta_path.insert(0, Block())
for name in sys.argv[1:]:
    importlib.import_module(name)
print("imported", len(sys.argv) - 1)
"""


def non_qt_modules() -> list[str]:
    names = ["desktop"]
    for info in pkgutil.walk_packages(desktop.__path__, "desktop."):
        if info.name == "desktop.qt" or info.name.startswith("desktop.qt."):
            continue
        names.append(info.name)
    return names


def test_every_non_qt_module_imports_with_pyside6_blocked() -> None:
    modules = non_qt_modules()
    assert "desktop.cli.main" in modules and "desktop.providers.aws.ec2" in modules
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_AND_IMPORT, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"imported {len(modules)}"


def test_cli_start_up_imports_neither_qt_nor_cloud_sdks() -> None:
    probe = (
        "import sys\n"
        "from desktop.cli.main import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'boto3', 'botocore', 'azure')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_import_linter_contracts_are_kept() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports is not None, "import-linter is a test dependency"
    result = subprocess.run([lint_imports], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout
