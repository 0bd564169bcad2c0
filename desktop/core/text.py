"""Words for people that the tray translates and the CLI prints in English.

Qt-free code says what to show as a `Text`: a source sentence with named `{placeholders}`, an
optional plural count (`%n`), and typed values (money, clock times) that each face formats its own
way. `str(text)` is the English the CLI prints; `desktop/qt/locale_text.py` renders the same value
through Qt's translation and `QLocale`. Sentences are written whole ("%n tunnels up"), never glued
from fragments, so a translation can reorder and inflect them.

Each source sentence is declared with `QT_TRANSLATE_NOOP(context, source)`: pyside6-lupdate reads
calls by that name, so the German catalogue (`resources/translations/devtray_de.ts`) is extracted
from this code. lupdate only marks a sentence as having plural forms when the call carries a
numeric literal in fourth place, hence `QT_TRANSLATE_NOOP(context, source, None, 1)`. A plural
source follows Qt's English convention, `%n tunnel(s)` (`%Ln` groups digits: `3,214`); English
picks the form by the count, other languages by their catalogue's plural rules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Money:
    """An amount of money, written as the reader's locale writes it (`$1.37`, `1,37 $`)."""

    amount: float
    currency: str = "USD"
    hourly: bool = False  # a rate: small, so four decimals below 1

    @property
    def digits(self) -> int:
        """Decimals shown: four for an hourly rate below 1 ($0.0912), else two."""
        return 4 if self.hourly and abs(self.amount) < 1 else 2


@dataclass(frozen=True)
class Clock:
    """A local time of day (`19:00`, `7:00 PM`); with the weekday when `weekday` is set."""

    at: datetime
    weekday: bool = False


@dataclass(frozen=True)
class Text:
    """A translatable sentence and the values that fill it (see the module docstring)."""

    context: str
    source: str
    disambiguation: str | None = None
    plural: bool = False
    count: int | None = None
    args: tuple[tuple[str, Value], ...] = ()

    def __call__(self, count: int | None = None, **args: Value) -> Text:
        """This sentence with its plural count and its `{placeholders}` filled in."""
        if self.plural and count is None and self.count is None:
            raise ValueError(f"{self.source!r} needs a count")
        return replace(
            self,
            count=self.count if count is None else count,
            args=self.args + tuple(args.items()),
        )

    def __str__(self) -> str:
        return render(self, ENGLISH)


Value = str | int | Money | Clock | Text  # what fills a placeholder
Words = str | Text  # a plain str is shown as it is (names from the cloud, paths, numbers)


def QT_TRANSLATE_NOOP(  # the name pyside6-lupdate looks for
    context: str, source: str, disambiguation: str | None = None, plural: int = 0
) -> Text:
    """Declare a sentence for translation (`plural=1`: it has plural forms, `%n` is the count)."""
    if plural and "%n" not in source and "%Ln" not in source:
        raise ValueError(f"plural text without %n: {source!r}")
    return Text(context, source, disambiguation, bool(plural))


class Renderer(Protocol):
    """How one face turns a `Text` into a string: its translation and its locale."""

    def translate(self, text: Text) -> str:
        """The sentence in the reader's language, `%n` already replaced by the count."""
        ...

    def money(self, value: Money) -> str:
        """An amount of money in the reader's locale."""
        ...

    def clock(self, value: Clock) -> str:
        """A time of day in the reader's locale."""
        ...


def render(words: Words, renderer: Renderer) -> str:
    """`words` as a person reads them through `renderer` (nested texts rendered the same way)."""
    if isinstance(words, str):
        return words
    values: dict[str, str] = {}
    for name, value in words.args:
        if isinstance(value, Text):
            values[name] = render(value, renderer)
        elif isinstance(value, Money):
            values[name] = renderer.money(value)
        elif isinstance(value, Clock):
            values[name] = renderer.clock(value)
        else:
            values[name] = str(value)
    return renderer.translate(words).format_map(values)


class _English:
    """The source language, formatted as the CLI always has: `$1.37`, `19:00`, `Fri 19:00`."""

    def translate(self, text: Text) -> str:
        return english_plural(text.source, text.count)

    def money(self, value: Money) -> str:
        from desktop.core.cost import format_money  # off the tray's start-up path

        return format_money(value.amount, value.currency, hourly=value.hourly)

    def clock(self, value: Clock) -> str:
        return f"{value.at:%a %H:%M}" if value.weekday else f"{value.at:%H:%M}"


ENGLISH: Renderer = _English()


def english_plural(source: str, count: int | None) -> str:
    """A source sentence in English: `%n`/`%Ln` become the count, `(s)` the plural ending."""
    if count is None:
        return source
    text = source.replace("%Ln", f"{count:,}").replace("%n", str(count))
    return text.replace("(s)", "" if count == 1 else "s")


def english(words: Words) -> str:
    """`words` in English (the CLI's language)."""
    return render(words, ENGLISH)
