"""The Vietnamese catalogue covers every UI string, and the compiled file matches it."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "survey/translations/vi/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_t": None, "ngettext": (1, 2)}
METHODS = [("survey/**.py", "python"), ("templates/**.html", "jinja2")]


def catalogue():  # type: ignore[no-untyped-def]
    with PO.open("rb") as fh:
        return read_po(fh)


def test_every_ui_string_has_a_vietnamese_translation():
    """Each string the code and templates mark for translation is translated, none fuzzy."""
    found = set()
    for folder in ("survey", "templates"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / folder, [(p.split("/", 1)[1], m) for p, m in METHODS if p.startswith(folder)], KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    assert len(found) > 200  # the extraction itself works
    # A plural entry (ngettext) is keyed by its singular id and needs every form filled.
    translated = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalogue() if m.id}
    missing = sorted(found - set(translated))
    assert missing == []

    def empty(m) -> bool:  # type: ignore[no-untyped-def]
        return not all(m.string) if isinstance(m.string, tuple) else not m.string

    assert sorted(i for i in found if empty(translated[i]) or translated[i].fuzzy) == []


def test_compiled_catalogue_is_up_to_date():
    """messages.mo gives the same Vietnamese as messages.po for every entry."""
    with (PO.with_suffix(".mo")).open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in catalogue():
        if message.id and isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, message.id
