"""The languages the line speaks to callers in.

Every word a caller reads (texts, e-mails, replies) is written in the team's language in the code,
marked `_("...")`, and looked up in the caller's language in a gettext catalog:
`app/translations/<code>/LC_MESSAGES/messages.po`, kept up to date with Babel's `pybabel`
(`make translations`). The catalogs are read once per process. What callers hear on the phone is
in the call scripts, one file per language (`voice_flows/caller.<code>.yaml`).

Admins and the dashboard keep the team's language; they are told which language a caller speaks.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from gettext import NullTranslations
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

TEAM = "en"
# Each language a caller may choose, named as the team reads it.
NAMES = {"en": "English", "es": "Spanish"}
CATALOGS = Path(__file__).resolve().parent / "translations"

Words = Callable[[str], str]


def known(code: str | None) -> str:
    """A language the line speaks: `code` if it is one, else the team's."""
    return code if code in NAMES else TEAM


@functools.cache
def _translations(code: str) -> NullTranslations:
    if code == TEAM:
        return NullTranslations()
    path = CATALOGS / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=code)
    # Compiled in memory: the .po file is the one source, and no build step can be forgotten.
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def words(code: str | None) -> Words:
    """The gettext function for a caller who speaks `code` (the team's language if unknown)."""
    return _translations(known(code)).gettext


def spoken_by(code: str | None) -> str:
    """How the team is told a caller's language: "" for the team's own."""
    code = known(code)
    return "" if code == TEAM else NAMES[code]
