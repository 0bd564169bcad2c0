"""Words for the tray in the user's language: `Text`s translated by Qt (plural forms included),
money, days and times as the user's locale (QLocale) writes them."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QCoreApplication, QDate, QLocale, QTime

from desktop.core.text import ENGLISH, Clock, Money, Text, Words, english_plural, render


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


class QtRenderer:
    """Renders `Text`s through the installed QTranslator and the default QLocale."""

    def translate(self, text: Text) -> str:
        """The sentence in the user's language (`%n` replaced by the count)."""
        n = -1 if text.count is None else text.count
        translated = QCoreApplication.translate(text.context, text.source, text.disambiguation, n)
        # Untranslated (English): Qt filled in %n; the English plural ending is ours to pick.
        return english_plural(translated, text.count) if text.plural else translated

    def money(self, value: Money) -> str:
        """`$1.37`, `1,37 $`."""
        return money(value.amount, value.currency, value.digits)

    def clock(self, value: Clock) -> str:
        """`7:00 PM`, `19:00`; `Fri 19:00` with the weekday."""
        if QLocale().language() is QLocale.Language.C:
            return ENGLISH.clock(value)  # no locale chosen (LANG=C): the CLI's 24-hour time
        locale = user_locale()
        text = locale.toString(
            QTime(value.at.hour, value.at.minute), QLocale.FormatType.ShortFormat
        )
        if not value.weekday:
            return text
        day = locale.dayName(value.at.isoweekday(), QLocale.FormatType.ShortFormat)
        return f"{day} {text}"


_RENDERER = QtRenderer()


def tr(words: Words) -> str:
    """`words` in the user's language and locale."""
    return render(words, _RENDERER)
