"""Which languages a citizen is offered, and their texts and recordings, cached by version.

The language table is read once per process and setup version (a language's change raises
it, survey.aggregates.lookups); a language's translations and recordings are read once per
process and language version, and that version changes with every import or upload, so a
change shows at once on every server without a timer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from babel.support import Translations
from flask import current_app, g, url_for
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from analysis.instrument import Instrument
from survey.aggregates import lookups
from survey.extensions import db
from survey.languages.codes import LANGUAGE_NAME, instrument_texts
from survey.languages.texts import Texts
from survey.languages.ui import ui_messages, ui_translations, vietnamese
from survey.models import Recording, Translation

__all__ = [
    "BUILTIN_NAMES",
    "Pack",
    "citizen_languages",
    "pack",
    "required_texts",
    "stored_languages",
    "texts_for",
]

SOURCE = "vi"
BUILTIN_NAMES = {"vi": "Tiếng Việt", "en": "English"}
EXTENSIONS = {"audio/ogg": "opus", "audio/mpeg": "mp3"}


@dataclass(frozen=True)
class Pack:
    """One language's stored texts and recordings, and what it still lacks."""

    overlay: Mapping[str, str] = field(default_factory=dict)
    audio: Mapping[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    ui: Translations | None = None  # the survey's own words, for a language of the database


def stored_languages() -> dict[str, tuple[str, int]]:
    """Code -> (endonym, version) of the languages in the database (kept per setup version).

    With the database down the survey still draws (to keep a citizen's answers on screen):
    then only the instrument's own languages are known.
    """
    if "sipas_languages" not in g:
        try:
            g.sipas_languages = lookups.languages()
        except SQLAlchemyError:
            _reset()
            g.sipas_languages = {}
    return g.sipas_languages  # type: ignore[no-any-return]


_REQUIRED: dict[int, tuple[Instrument, dict[str, str]]] = {}


def required_texts(ins: Instrument) -> dict[str, str]:
    """Code -> Vietnamese of everything a language must translate to be offered to citizens."""
    cached = _REQUIRED.get(id(ins))
    if cached is None or cached[0] is not ins:
        texts = {LANGUAGE_NAME: BUILTIN_NAMES[SOURCE], **instrument_texts(ins, SOURCE)}
        texts.update({code: vietnamese(msgid) for code, msgid in ui_messages().items()})
        cached = _REQUIRED[id(ins)] = (ins, texts)
    return cached[1]


def _load(ins: Instrument, lang: str) -> Pack:
    rows = db.session.execute(
        select(Translation.code, Translation.text, Translation.source).where(Translation.lang == lang)
    ).all()
    required = required_texts(ins)
    done = {code: text for code, text, source in rows if text.strip() and required.get(code) == source}
    missing = () if lang in ins.languages else tuple(c for c in required if c not in done)
    recordings = db.session.execute(
        select(Recording.code, Recording.digest, Recording.mime).where(Recording.lang == lang)
    ).all()
    audio = {
        code: url_for("public.audio", digest=digest, ext=EXTENSIONS[mime])
        for code, digest, mime in recordings
    }
    if lang in ins.languages:
        return Pack({}, audio, ())
    return Pack(done, audio, missing, ui_translations(done))


def pack(ins: Instrument, lang: str) -> Pack:
    """The stored texts and recordings of a language (cached per process and version)."""
    stored = stored_languages().get(lang)
    if stored is None:
        return Pack(missing=() if lang in ins.languages else ("*",))
    cache = current_app.extensions.setdefault("sipas_language_packs", {})
    key = (id(ins), lang, stored[1])
    if key not in cache:
        cache[key] = _load(ins, lang)
    return cache[key]  # type: ignore[no-any-return]


def citizen_languages(ins: Instrument) -> list[tuple[str, str]]:
    """(code, name in itself) of every language offered: the instrument's, then complete stored ones."""
    stored = stored_languages()
    offered = [(code, stored.get(code, (BUILTIN_NAMES.get(code, code), 0))[0]) for code in ins.languages]
    extra = sorted((name, code) for code, (name, _v) in stored.items() if code not in ins.languages)
    offered += [(code, name) for name, code in extra if not pack(ins, code).missing]
    return offered


def texts_for(ins: Instrument, lang: str) -> Texts:
    """Everything a citizen reads and hears in `lang`."""
    p = pack(ins, lang)
    return Texts(ins, lang, p.overlay, p.audio)


def _reset() -> None:
    """Leave the session usable after a failed query, even when the database is gone."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()
