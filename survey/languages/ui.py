"""The survey's own words (buttons, progress, errors) for languages that live in the database.

Vietnamese and English come from the compiled Flask-Babel catalogues. A language imported
from a translation sheet carries these words too: their codes are ``ui.`` plus a short hash
of the English message id, found by extracting the citizen pages' messages from the source
(the same extraction `make translations` runs), once per process.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.support import NullTranslations, Translations
from flask_babel import Domain

__all__ = ["SheetDomain", "placeholders", "ui_messages", "ui_translations", "vietnamese"]

ROOT = Path(__file__).resolve().parent.parent.parent
# The pages a citizen sees: the survey, the thank-you page and the errors on the way.
SOURCES = (
    *(("jinja2", p) for p in sorted((ROOT / "templates" / "public").glob("*.html"))),
    *(("python", p) for p in sorted((ROOT / "survey" / "public").glob("*.py"))),
)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def _code(msgid: str) -> str:
    return "ui." + hashlib.sha256(msgid.encode()).hexdigest()[:10]


@cache
def ui_messages() -> dict[str, str]:
    """Code -> message id of every message on the citizen's pages, in source order."""
    found: dict[str, str] = {}
    for method, path in SOURCES:
        for _lineno, message, _comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options={"extensions": "jinja2.ext.i18n"}
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(_code(msgid), msgid)
    return found


@cache
def _vi() -> Translations | NullTranslations:
    return Translations.load(str(ROOT / "survey" / "translations"), ["vi"])


def vietnamese(msgid: str) -> str:
    """The Vietnamese of a message id, from the compiled catalogue."""
    return _vi().ugettext(msgid)


def placeholders(text: str) -> list[str]:
    """The ``%(name)s`` placeholders of a message, sorted: a translation must keep them all."""
    return sorted(_PLACEHOLDER.findall(text))


def ui_translations(texts: dict[str, str]) -> Translations:
    """A gettext catalogue from stored ``ui.*`` texts, falling back to Vietnamese."""
    catalogue = Translations()
    catalogue.plural = lambda n: 0  # type: ignore[method-assign]  # one form for every count
    for code, msgid in ui_messages().items():
        if code in texts:
            catalogue._catalog[msgid] = texts[code]  # type: ignore[attr-defined]
            catalogue._catalog[(msgid, 0)] = texts[code]  # type: ignore[attr-defined]
    catalogue.add_fallback(_vi())
    return catalogue


class SheetDomain(Domain):
    """A Flask-Babel domain answering from one stored language's catalogue."""

    def __init__(self, catalogue: Translations) -> None:
        super().__init__()
        self._catalogue = catalogue

    def get_translations(self) -> Translations:
        return self._catalogue
