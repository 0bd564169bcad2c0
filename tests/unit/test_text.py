"""`Text`: whole sentences with typed values, in English for the CLI (the tray's German is in
tests/qt/test_tray_german.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from desktop.core.text import QT_TRANSLATE_NOOP, Clock, Money, english

FILES = QT_TRANSLATE_NOOP("test", "%Ln file(s) in {folder}", None, 1)


def test_plural_sentences_pick_the_english_form_by_count() -> None:
    assert english(FILES(1, folder="src")) == "1 file in src"
    assert english(FILES(3214, folder="src")) == "3,214 files in src"
    assert english(FILES(0, folder="src")) == "0 files in src"


def test_a_plural_sentence_needs_its_count_and_its_marker() -> None:
    with pytest.raises(ValueError, match="needs a count"):
        FILES(folder="src")
    with pytest.raises(ValueError, match="without %n"):
        QT_TRANSLATE_NOOP("test", "files", None, 1)


def test_money_and_times_as_the_cli_writes_them() -> None:
    at = datetime(2026, 12, 4, 19, 5)
    line = QT_TRANSLATE_NOOP("test", "{cost} until {when}, then {rate}/h")
    text = line(cost=Money(1.371), when=Clock(at), rate=Money(0.0912, hourly=True))
    assert str(text) == "$1.37 until 19:05, then $0.0912/h"
    euros = line(cost=Money(12.5, "EUR"), when=Clock(at, weekday=True), rate=Money(2, hourly=True))
    assert english(euros) == "12.50 EUR until Fri 19:05, then $2.00/h"


def test_values_fill_in_after_translation_so_names_are_never_read_as_templates() -> None:
    hello = QT_TRANSLATE_NOOP("test", "Hello {vm}")
    assert str(hello(vm="{evil}")) == "Hello {evil}"
    nested = QT_TRANSLATE_NOOP("test", "{a} · {b}")(a=hello(vm="x"), b="y")
    assert str(nested) == "Hello x · y"
