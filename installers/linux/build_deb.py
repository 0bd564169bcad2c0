"""Build devtray's Debian package from the frozen app (packaging/freeze.py's output).

    python installers/linux/build_deb.py [--app dist/devtray] [--out dist]

Layout: the frozen folder in /opt/devtray, `devtray` on PATH (/usr/bin/devtray -> the frozen
binary), the menu entry in /usr/share/applications and the icon in the hicolor theme (dpkg
triggers of the desktop refresh the menu and icon caches, so no maintainer scripts are needed).
`Depends` is computed from the libraries the bundle needs but does not carry (libc, GL, xcb),
so a fresh Debian/Ubuntu desktop needs nothing else, and no Python.
Needs `dpkg-deb` and `objdump` (Debian: dpkg-dev, binutils).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "packaging"))

from icons import PNG_SIZES, write_icons  # noqa: E402

from desktop import __version__  # noqa: E402

PACKAGE = "devtray"
INSTALL_DIR = Path("opt") / PACKAGE
MAINTAINER = "devtray maintainers <devtray@users.noreply.github.com>"

# Libraries the bundle expects from the system (PyInstaller leaves out libc and the GL stack on
# purpose: they must match the machine's drivers), and the Debian packages that provide them.
SYSTEM_LIBRARIES = {
    "libc.so.6": "libc6",
    "libm.so.6": "libc6",
    "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6",
    "librt.so.1": "libc6",
    "libresolv.so.2": "libc6",
    "libutil.so.1": "libc6",
    "ld-linux-x86-64.so.2": "libc6",
    "ld-linux-aarch64.so.1": "libc6",
    "libxcb.so.1": "libxcb1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libGLdispatch.so.0": "libglvnd0",
    "libEGL.so.1": "libegl1",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
# Qt draws text with the system's fonts; any desktop has some, a minimal system may not.
RECOMMENDS = ("fonts-dejavu-core",)

_NEEDED = re.compile(r"^\s*NEEDED\s+(\S+)", re.MULTILINE)
_GLIBC = re.compile(r"GLIBC_(\d+(?:\.\d+)+)")


def elf_files(folder: Path) -> list[Path]:
    """Every ELF file (executables and shared libraries) under `folder`."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def system_dependencies(app: Path) -> tuple[set[str], str]:
    """(Debian packages the bundle needs, the newest glibc symbol version it uses).

    Fails naming the library when the bundle needs one that is neither bundled nor known here,
    so a new dependency cannot slip into a package that does not start on a clean machine.
    """
    elves = elf_files(app)
    bundled = {path.name for path in app.rglob("*")}
    needed: set[str] = set()
    glibc = "2.17"
    for chunk in range(0, len(elves), 200):
        batch = [str(p) for p in elves[chunk : chunk + 200]]
        dynamic = subprocess.run(
            ["objdump", "-p", "-T", *batch], check=True, capture_output=True, text=True
        ).stdout
        needed.update(_NEEDED.findall(dynamic))
        for version in _GLIBC.findall(dynamic):
            glibc = max(glibc, version, key=lambda v: tuple(int(n) for n in v.split(".")))
    missing = sorted(needed - bundled)
    unknown = [name for name in missing if name not in SYSTEM_LIBRARIES]
    if unknown:
        raise SystemExit(
            f"the bundle needs {', '.join(unknown)}, which it does not carry and which "
            f"installers/linux/build_deb.py does not map to a Debian package: add them to "
            f"SYSTEM_LIBRARIES (or make PyInstaller bundle them)"
        )
    return {SYSTEM_LIBRARIES[name] for name in missing}, glibc


def debian_architecture() -> str:
    """The architecture name dpkg uses on this machine (amd64, arm64)."""
    return subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    ).stdout.strip()


def control_file(installed_kib: int, depends: set[str], glibc: str) -> str:
    """The text of DEBIAN/control."""
    depends_line = ", ".join([f"libc6 (>= {glibc})", *sorted(depends - {"libc6"})])
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {__version__}\n"
        f"Architecture: {debian_architecture()}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {depends_line}\n"
        f"Recommends: {', '.join(RECOMMENDS)}\n"
        "Section: devel\n"
        "Priority: optional\n"
        "Homepage: https://github.com/devtray/devtray\n"
        "Description: your cloud dev VM from the tray\n"
        " devtray finds your personal cloud VM (AWS EC2, Azure DevTest Labs), shows its\n"
        " state and cost, starts, stops and resizes it, keeps SSH config, tunnels and file\n"
        " sync right and opens the project in your IDE. Includes the `devtray` command line.\n"
        " Self-contained: Python and Qt are bundled.\n"
    )


def stage_tree(app: Path, root: Path) -> None:
    """Lay the package's files out under `root` as they will be installed."""
    shutil.copytree(app, root / INSTALL_DIR, symlinks=True)
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    # Relative, so the link also works in an unpacked (not installed) tree.
    (bin_dir / PACKAGE).symlink_to(Path("..", "..", INSTALL_DIR, PACKAGE))
    share = root / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(REPO / "resources" / "app" / "devtray.desktop", share / "applications")
    icons = share / "icons" / "hicolor"
    with tempfile.TemporaryDirectory() as rendered:
        write_icons(Path(rendered))
        for size in PNG_SIZES:
            target = icons / f"{size}x{size}" / "apps"
            target.mkdir(parents=True)
            shutil.copy2(Path(rendered) / f"devtray-{size}.png", target / "devtray.png")
    (icons / "scalable" / "apps").mkdir(parents=True)
    shutil.copy2(REPO / "resources" / "app" / "devtray.svg", icons / "scalable" / "apps")
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: devtray\n\nFiles: *\nLicense: MIT\n"
        " Bundles CPython (PSF), Qt 6 and PySide6 (LGPL-3.0), boto3 (Apache-2.0) and\n"
        " cryptography (Apache-2.0 or BSD); their licences ship inside /opt/devtray.\n",
        encoding="utf-8",
    )


def build_deb(app: Path, out: Path, *, fast: bool = False) -> Path:
    """Build the .deb from the frozen app folder; returns its path.

    `fast` compresses with xz level 1 (about 5x quicker, ~10% bigger) for tests; releases use
    dpkg's default level.
    """
    if not (app / PACKAGE).is_file():
        raise SystemExit(f"{app} is not a frozen devtray (run packaging/freeze.py first)")
    depends, glibc = system_dependencies(app)
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{PACKAGE}_{__version__}_{debian_architecture()}.deb"
    with tempfile.TemporaryDirectory() as staging:
        root = Path(staging) / "root"
        stage_tree(app, root)
        installed = sum(p.lstat().st_size for p in root.rglob("*") if p.is_file())
        (root / "DEBIAN").mkdir()
        (root / "DEBIAN" / "control").write_text(
            control_file(installed // 1024 + 1, depends, glibc), encoding="utf-8"
        )
        for path in root.rglob("*"):
            # Files readable by everyone, whatever the builder's umask was.
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() or path.stat().st_mode & 0o111 else 0o644)
        subprocess.run(
            [
                "dpkg-deb",
                "--root-owner-group",
                "-Zxz",
                *(["-z1"] if fast else []),
                "--build",
                str(root),
                str(deb),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return deb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=REPO / "dist" / PACKAGE)
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--fast", action="store_true", help="quick, lighter compression")
    args = parser.parse_args()
    deb = build_deb(args.app.resolve(), args.out.resolve(), fast=args.fast)
    print(f"{deb}: {deb.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
