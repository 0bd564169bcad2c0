"""The tray's translations: extract every translatable text from `desktop/` into the `.ts`
catalogues (pyside6-lupdate) and compile them into the `.qm` files the tray loads
(pyside6-lrelease). Both tools come with PySide6-Essentials.

    python packaging/translations.py          # update the .ts from the code, then build the .qm
    python packaging/translations.py --check  # fail when a .qm is older than its .ts

The `.qm` files are committed (the tray and the frozen app read them from
`resources/translations/`); a test fails when one no longer matches its `.ts`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRANSLATIONS = REPO / "resources" / "translations"
SOURCES = REPO / "desktop"


def tool(name: str) -> str:
    """The PySide6 tool next to this Python (`pyside6-lupdate`, `pyside6-lrelease`)."""
    path = Path(sys.executable).parent / f"pyside6-{name}"
    return str(path) if path.exists() else f"pyside6-{name}"


def python_sources() -> list[str]:
    """Every module of the app (lupdate reads the Python files it is given)."""
    return sorted(str(path) for path in SOURCES.rglob("*.py"))


def extract(ts: Path, *, no_obsolete: bool = True) -> None:
    """Write (or update) `ts` with every text the code marks for translation."""
    args = [tool("lupdate"), *python_sources(), "-locations", "none", "-ts", str(ts)]
    if no_obsolete:
        args.insert(-2, "-no-obsolete")
    subprocess.run(args, check=True, capture_output=True, timeout=120)


def compile_qm(ts: Path, qm: Path) -> None:
    """Compile one catalogue for QTranslator."""
    subprocess.run(
        [tool("lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True, timeout=60
    )


def catalogues() -> list[Path]:
    """The shipped `.ts` files."""
    return sorted(TRANSLATIONS.glob("devtray_*.ts"))


def stale() -> list[Path]:
    """The catalogues whose committed `.qm` differs from what lrelease builds now."""
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for ts in catalogues():
            built = Path(folder) / ts.with_suffix(".qm").name
            compile_qm(ts, built)
            qm = ts.with_suffix(".qm")
            if not qm.exists() or qm.read_bytes() != built.read_bytes():
                out.append(ts)
    return out


def main() -> int:
    """Update and build the catalogues, or `--check` that the `.qm` files are current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the .qm files")
    if parser.parse_args().check:
        behind = stale()
        for ts in behind:
            print(f"{ts.with_suffix('.qm').name} is out of date: run packaging/translations.py")
        return 1 if behind else 0
    for ts in catalogues():
        extract(ts)
        compile_qm(ts, ts.with_suffix(".qm"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
