"""What goes into the frozen bundle, beyond what PyInstaller's import analysis finds.

Used by `devtray.spec`; kept as plain functions so the rules are unit-tested without a build.
The aim is a small download that still has everything a tray app needs on each OS: the Qt
modules and plugins devtray uses (PySide6-Essentials only, never WebEngine, QML or Quick) and
the botocore models of the AWS services devtray calls (all of botocore's are ~28 MB).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

# The Qt modules desktop.qt imports (the composition root loads it lazily, so PyInstaller is
# told explicitly). SVG icons need no module: the SVG plugins bring libQt6Svg themselves.
QT_MODULES = ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtNetwork")

# Present in the build venv (tests, type stubs, tools) but never imported by the app.
EXCLUDED_MODULES = [
    "tkinter",
    "unittest",
    "pydoc_data",
    "pytest",
    "_pytest",
    "moto",
    "hypothesis",
    "mypy",
    "IPython",
    "numpy",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtOpenGL",
    "PySide6.QtPdf",
    "PySide6.QtWebEngineCore",
    "PySide6.QtDesigner",
]

# AWS services devtray calls: EC2 and STS (status, start, stop, resize), SSO/SSO-OIDC (sign-in),
# SSM (tunnels through Session Manager), Pricing (cost) and Cost Explorer (billed figures).
BOTOCORE_SERVICES = frozenset({"ec2", "sts", "sso", "sso-oidc", "ssm", "pricing", "ce"})

# Qt plugin folders a tray app uses; everything else under plugins/ is left out.
QT_PLUGIN_DIRS = frozenset(
    {
        "platforms",  # xcb, wayland, cocoa, windows; offscreen for headless checks
        "platformthemes",  # native dialogs and colours (GTK, portals)
        "platforminputcontexts",  # compose keys / input methods in text fields
        "iconengines",  # SVG icons
        "imageformats",  # SVG, ICO
        "styles",  # Windows/macOS native widget styles
        "xcbglintegrations",
        "wayland-shell-integration",
        "wayland-decoration-client",
        "wayland-graphics-integration-client",
    }
)
QT_PLUGIN_FILES = {
    # Within a kept folder, only these (regex on the file name): the rest are formats and
    # back-ends devtray never touches (JPEG, WebP, TIFF, EGLFS, VNC, VK, ...).
    "platforms": r"(lib)?q(xcb|wayland(-egl|-generic)?|offscreen|cocoa|windows|direct2d)\b",
    "imageformats": r"(lib)?q(svg|ico)\b",
    # The GTK theme drags GTK, Pango and Cairo of the build machine along (and needs the
    # user's GTK to match them); the XDG portal theme gives native dialogs without that.
    "platformthemes": r"(lib)?qxdgdesktopportal\b",
    "xcbglintegrations": r"(lib)?qxcb-glx-integration\b",
}

_QT_PLUGIN = re.compile(
    r"PySide6[/\\]Qt[/\\]plugins[/\\]([^/\\]+)[/\\]([^/\\]+)$|"
    r"PySide6[/\\]plugins[/\\]([^/\\]+)[/\\]([^/\\]+)$"
)
_BOTOCORE_MODEL = re.compile(r"botocore[/\\]data[/\\]([^/\\]+)[/\\]([^/\\]+)[/\\]")
# Qt libraries pulled in by plugins we drop, or by modules devtray never imports.
_UNWANTED_QT_LIB = re.compile(r"Qt6(Qml|Quick|Pdf|WebEngine|Designer|VirtualKeyboard|Lottie|Labs)")

Entry = TypeVar("Entry", bound=tuple[str, ...])


def keep_qt_plugin(dest: str) -> bool:
    """False for a Qt plugin devtray does not need; True for anything that is not a plugin."""
    match = _QT_PLUGIN.search(dest)
    if not match:
        return True
    folder = match.group(1) or match.group(3)
    name = match.group(2) or match.group(4)
    if folder not in QT_PLUGIN_DIRS:
        return False
    pattern = QT_PLUGIN_FILES.get(folder)
    return pattern is None or re.match(pattern, name) is not None


def keep_binary_name(dest: str) -> bool:
    """False for shared libraries of Qt modules devtray never uses."""
    return keep_qt_plugin(dest) and not _UNWANTED_QT_LIB.search(dest)


def newest_models(dests: Iterable[str]) -> set[tuple[str, str]]:
    """(service, api-version) of the newest model of each wanted botocore service."""
    newest: dict[str, str] = {}
    for dest in dests:
        match = _BOTOCORE_MODEL.search(dest)
        if match and match.group(1) in BOTOCORE_SERVICES:
            service, version = match.groups()
            newest[service] = max(version, newest.get(service, ""))
    return set(newest.items())


def select_datas(entries: list[Entry]) -> list[Entry]:
    """The data files to ship: botocore models trimmed to devtray's services, Qt plugins trimmed."""
    wanted_models = newest_models(entry[0] for entry in entries)
    kept = []
    for entry in entries:
        match = _BOTOCORE_MODEL.search(entry[0])
        if match and (match.group(1), match.group(2)) not in wanted_models:
            continue
        if keep_binary_name(entry[0]):
            kept.append(entry)
    return kept


def select_binaries(entries: list[Entry]) -> list[Entry]:
    """The shared libraries to ship: without unused Qt plugins and Qt modules."""
    return [entry for entry in entries if keep_binary_name(entry[0])]
