"""The tray's language: a QTranslator with the German (or any shipped) catalogue, chosen from
`DEVTRAY_LANG`, else the `LANGUAGE`/`LC_ALL`/`LC_MESSAGES`/`LANG` variables, else the system."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from desktop.system.bundle import resources_dir

log = logging.getLogger(__name__)

LANG_ENV = "DEVTRAY_LANG"
_POSIX_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def ui_locale(env: Mapping[str, str] | None = None) -> QLocale:
    """The locale the tray speaks and formats in (`de_DE.UTF-8` and `de:en` both mean German)."""
    env = os.environ if env is None else env
    for variable in (LANG_ENV, *_POSIX_VARIABLES):
        # `LANGUAGE` lists preferences (`de:en`); a codeset or modifier is not Qt's business.
        name = env.get(variable, "").split(":")[0].split(".")[0].split("@")[0]
        if name:
            return QLocale(name)
    return QLocale.system()


class Language:
    """Installs the catalogue for the user's language at start; `uninstall` puts things back
    (tests build several trays in one process)."""

    def __init__(self, app: QCoreApplication, env: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.previous = QLocale()
        self.locale = ui_locale(env)
        QLocale.setDefault(self.locale)  # money, days and times follow the language chosen
        self.translator = QTranslator(app)
        folder = str(resources_dir() / "translations")
        # Tries devtray_de_DE.qm, devtray_de.qm...; English needs no catalogue.
        self.loaded = self.translator.load(self.locale, "devtray", "_", folder)
        # Qt's own words (the Close, Cancel and Save buttons) come from Qt's catalogue.
        self.qt_translator = QTranslator(app)
        self.qt_loaded = self.loaded and self.qt_translator.load(
            self.locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        )
        if self.qt_loaded:
            app.installTranslator(self.qt_translator)
        if self.loaded:
            app.installTranslator(self.translator)
        elif self.locale.language() not in (QLocale.Language.English, QLocale.Language.C):
            log.info("no translation for %s; the tray speaks English", self.locale.name())

    def uninstall(self) -> None:
        """Remove the catalogue and restore the previous default locale."""
        if self.loaded:
            self.app.removeTranslator(self.translator)
        if self.qt_loaded:
            self.app.removeTranslator(self.qt_translator)
        QLocale.setDefault(self.previous)
