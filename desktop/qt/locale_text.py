"""Money and days as the user's locale writes them (QLocale), for the tray's windows."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QLocale


def user_locale() -> QLocale:
    """The user's locale; US English under the bare "C" locale (a service's LANG=C), whose
    money reads `0$`."""
    locale = QLocale()
    if locale.language() is QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return locale


def money(amount: float, currency: str = "USD", digits: int = 2) -> str:
    """`$1.23` in the user's locale (`1,23 $` in German)."""
    symbol = "$" if currency == "USD" else currency
    return user_locale().toCurrencyString(amount, symbol, digits)


def day_text(day: date, form: QLocale.FormatType | str = QLocale.FormatType.ShortFormat) -> str:
    """A day as the user's locale writes it (a format type or a pattern such as "d MMM")."""
    return user_locale().toString(QDate(day.year, day.month, day.day), form)
