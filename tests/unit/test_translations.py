"""The German catalogue is complete and current: every text the code marks for translation (as
pyside6-lupdate extracts it now) is in `devtray_de.ts`, translated, with its plural forms and its
placeholders; the committed `.qm` is what lrelease builds from the `.ts`."""

from __future__ import annotations

import ast
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging"))
import translations  # noqa: E402  (packaging/ is not a package)

GERMAN = REPO / "resources" / "translations" / "devtray_de.ts"
PLACEHOLDER = re.compile(r"\{\w+\}|%L?n")

Key = tuple[str, str, str]  # context, source, disambiguation


def messages(ts: Path) -> dict[Key, ET.Element]:
    """The catalogue's messages by (context, source, disambiguation)."""
    found = {}
    for context in ET.parse(ts).getroot().iter("context"):  # noqa: S314 - our own catalogue
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            key = (name, message.findtext("source") or "", message.findtext("comment") or "")
            found[key] = message
    return found


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[Key, ET.Element]:
    ts = tmp_path_factory.mktemp("lupdate") / "devtray_de.ts"
    translations.extract(ts)
    return messages(ts)


def test_extraction_finds_the_marked_texts(extracted: dict[Key, ET.Element]) -> None:
    # Sentences from each kind of marker: QT_TRANSLATE_NOOP (plural too), self.tr, translate.
    assert ("menu", "Settings…", "") in extracted
    assert extracted[("rows", "{up} of %n tunnel(s) up", "")].get("numerus") == "yes"
    assert ("glance", "running", "VM state") in extracted
    assert ("SettingsDialog", "Cloud", "") in extracted
    assert ("TrayApp", "{vm} was not started", "") in extracted
    assert all(context for context, _, _ in extracted), "a text without a context"


def test_every_marker_is_literal_so_lupdate_reads_it() -> None:
    # lupdate silently skips QT_TRANSLATE_NOOP(CONTEXT_VARIABLE, ...) and only marks a plural
    # when the fourth argument is a number literal: forbid anything else.
    offenders = []
    for path in (REPO / "desktop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and _called(node) == "QT_TRANSLATE_NOOP"):
                continue
            literal = [isinstance(arg, ast.Constant) for arg in node.args]
            if node.keywords or len(literal) < 2 or not all(literal):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


def _called(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else ""


def test_every_text_is_translated_into_german(extracted: dict[Key, ET.Element]) -> None:
    german = messages(GERMAN)
    missing = sorted(set(extracted) - set(german))
    assert missing == [], "run packaging/translations.py and translate these"
    for key in extracted:
        message = german[key]
        translation = message.find("translation")
        assert translation is not None and translation.get("type") is None, key
        if message.get("numerus") == "yes":
            forms = [form.text or "" for form in translation.iter("numerusform")]
            assert len(forms) == 2 and all(forms), key  # German: one, other
        else:
            forms = [translation.text or ""]
            assert forms[0], key
        for form in forms:  # the same values go into the German sentence
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(key[1])), key


def test_the_compiled_catalogue_matches_its_source() -> None:
    assert translations.stale() == []


ACCELERATOR = re.compile(r"&(?!&)\w")


def test_german_keeps_every_keyboard_accelerator() -> None:
    # "&Resize" lets Alt+R press the button; a German text without its "&" loses the key.
    lost = []
    for (context, source, _), message in messages(GERMAN).items():
        translation = message.find("translation")
        forms = [] if translation is None else [translation.text or ""]
        forms += [form.text or "" for form in message.iter("numerusform")]
        for form in filter(None, forms):
            if bool(ACCELERATOR.search(source)) != bool(ACCELERATOR.search(form)):
                lost.append((context, source, form))
    assert lost == []
