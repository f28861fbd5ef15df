"""Every word a caller reads exists in every language the line speaks: the messages marked in the
code, extracted as `make translations` extracts them, each translated with the same
placeholders; and the translations are what a Spanish-speaking caller gets."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app import languages
from app.config import PROJECT_ROOT

CATALOGS = PROJECT_ROOT / "app" / "translations"


def in_the_code() -> set[str]:
    """The messages marked `_("...")` under app/, as pybabel extracts them (babel.cfg)."""
    found = extract_from_dir(
        PROJECT_ROOT / "app",
        method_map=[("**.py", "python")],
        keywords={"_": None},
        comment_tags=(),
    )
    return {message for _file, _line, message, _comments, _context in found if message}


def untranslated(po: Path) -> list[str]:
    """What the catalog lacks: messages missing or empty, or with other placeholders."""
    with po.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in sorted(in_the_code()):
        entry = catalog.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            problems.append(f"untranslated: {message!r}")
        elif _names(entry.string) != _names(message):
            problems.append(f"other placeholders: {message!r}")
    return problems


def _names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", sorted(set(languages.NAMES) - {languages.TEAM}))
def test_every_message_is_translated(code):
    assert in_the_code(), "no messages found: the extraction itself is broken"
    assert untranslated(CATALOGS / code / "LC_MESSAGES" / "messages.po") == []


def test_a_catalog_missing_a_message_is_caught(tmp_path):
    shipped = (CATALOGS / "es" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    target = '"{reference}: recibimos su reporte sobre {service}."'
    assert target in shipped
    po = tmp_path / "messages.po"
    po.write_text(shipped.replace(target, '""'), encoding="utf-8")
    assert untranslated(po) == [
        "untranslated: '{reference}: we received your report about {service}.'"
    ]


def test_a_caller_reads_their_own_language():
    received = "{reference}: we received your report about {service}."
    assert languages.words("es")(received) == "{reference}: recibimos su reporte sobre {service}."
    assert languages.words("en")(received) == received
    assert languages.words("xx")(received) == received  # a language the line does not speak
    assert (languages.spoken_by("es"), languages.spoken_by("en")) == ("Spanish", "")
