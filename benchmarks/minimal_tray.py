"""The baseline: the smallest PySide6 tray app with devtray's icon and a menu of the same size.

`python benchmarks/minimal_tray.py` shows the icon, prints its start-up time and exits 0 —
exactly what `devtray --demo --quit-after-startup` does, minus everything devtray adds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

STARTED = time.perf_counter()

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon  # noqa: E402

ICON = Path(__file__).resolve().parents[1] / "resources" / "icons" / "devtray-stopped.svg"
MENU_ROWS = 20  # devtray's demo menu: 16 rows and 4 separators


def main() -> int:
    """Show a tray icon with a menu, report the start-up time, quit."""
    app = QApplication(["minimal-tray"])
    app.setQuitOnLastWindowClosed(False)
    menu = QMenu()
    for row in range(MENU_ROWS):
        menu.addAction(f"Row {row}")
    icon = QSystemTrayIcon(QIcon(str(ICON)))
    icon.setContextMenu(menu)
    icon.setToolTip("minimal tray")
    icon.show()

    def report_and_quit() -> None:
        sys.stdout.write(
            f"minimal tray started in {(time.perf_counter() - STARTED) * 1000:.0f} ms\n"
        )
        app.quit()

    QTimer.singleShot(0, report_and_quit)
    app.exec()
    icon.hide()
    return 0


if __name__ == "__main__":
    sys.exit(main())
