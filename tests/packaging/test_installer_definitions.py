"""The macOS and Windows installer definitions, checked here since they build only on their OS:
well-formed, menu-bar only on macOS, and every file they name is one the build produces."""

from __future__ import annotations

import plistlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import require_tool

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging"))

from icons import write_icons  # noqa: E402

ISS = REPO / "installers" / "windows" / "devtray.iss"
SPEC = REPO / "packaging" / "devtray.spec"


def iss_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in ISS.read_text(encoding="utf-8").splitlines():
        if re.fullmatch(r"\[\w+\]", line.strip()):
            current = line.strip()[1:-1]
            sections[current] = []
        elif current and line.strip() and not line.lstrip().startswith((";", "//", "#")):
            sections[current].append(line)
    return sections


def test_macos_info_plist_is_a_menu_bar_app() -> None:
    plist = plistlib.loads((REPO / "resources" / "app" / "Info.plist").read_bytes())
    assert plist["LSUIElement"] is True  # no Dock icon, no app menu: a menu-bar extra
    assert re.fullmatch(r"[a-z]+(\.[a-z]+)+", plist["CFBundleIdentifier"])
    assert plist["CFBundlePackageType"] == "APPL"
    assert "CFBundleShortVersionString" not in plist  # the spec sets it from desktop.__version__
    entitlements = plistlib.loads((REPO / "installers/macos/entitlements.plist").read_bytes())
    assert set(entitlements) == {"com.apple.security.cs.allow-unsigned-executable-memory"}


def test_macos_spec_and_scripts_name_existing_files() -> None:
    spec = SPEC.read_text(encoding="utf-8")
    assert '"resources" / "app" / "Info.plist"' in spec
    assert '"installers" / "macos" / "entitlements.plist"' in spec
    script = (REPO / "installers" / "macos" / "build_dmg.sh").read_text(encoding="utf-8")
    assert "packaging/freeze.py" in script and "--target-arch" in script
    for name in ("DEVTRAY_CODESIGN_ID", "DEVTRAY_NOTARY_PROFILE"):
        assert name in script


def test_shell_scripts_parse() -> None:
    for script in sorted((REPO / "installers").rglob("*.sh")):
        subprocess.run(["bash", "-n", str(script)], check=True)
    if shutil.which("shellcheck"):
        subprocess.run(
            ["shellcheck", *map(str, sorted((REPO / "installers").rglob("*.sh")))], check=True
        )
    else:
        require_tool("shellcheck")


def test_windows_installer_names_what_the_build_makes(tmp_path: Path) -> None:
    sections = iss_sections()
    setup = dict(line.split("=", 1) for line in sections["Setup"] if "=" in line)
    assert re.fullmatch(r"\{\{[0-9A-F-]{36}\}", setup["AppId"])
    assert setup["PrivilegesRequired"] == "lowest" and setup["ChangesEnvironment"] == "yes"
    # Every executable the script starts or links is one the spec builds.
    built = set(re.findall(r'name="(devtray\w*)"', SPEC.read_text(encoding="utf-8")))
    referenced = set(re.findall(r"\{app\}\\(\w+)\.exe", ISS.read_text(encoding="utf-8")))
    assert referenced == {"devtrayw"} and referenced <= built and "devtray" in built
    # The setup icon is one packaging/icons.py writes.
    icon = setup["SetupIconFile"].split("\\")[-1]
    assert icon in {path.name for path in write_icons(tmp_path)}
    # Start menu entry and its uninstaller; PATH added at install and removed at uninstall.
    icons = "\n".join(sections["Icons"])
    assert "{group}\\devtray" in icons and "{uninstallexe}" in icons
    tasks = "\n".join(sections["Tasks"])
    assert 'Name: "addtopath"' in tasks and 'Name: "startatlogin"' in tasks
    code = "\n".join(sections["Code"])
    assert "AddToPath(ExpandConstant('{app}'))" in code
    assert "RemoveFromPath(ExpandConstant('{app}'))" in code
    run_key = "\n".join(sections["Registry"])
    assert "CurrentVersion\\Run" in run_key and "uninsdeletevalue" in run_key


def test_windows_build_script_documents_its_credentials() -> None:
    text = (REPO / "installers" / "windows" / "build.ps1").read_text(encoding="utf-8")
    for name in ("DEVTRAY_WIN_CERT_SHA1", "DEVTRAY_WIN_TIMESTAMP_URL", "devtray.iss"):
        assert name in text
    assert "packaging\\freeze.py" in text
