"""Recordings of questions and options, for people who read poorly: checked, small, per language.

Only Opus (in Ogg) and MP3 are taken, recognised by their first bytes rather than by the file
name or the browser's claim, and at most 20 KB each, so a person who taps "listen" on a weak
signal hears it within seconds and the page itself never carries them.
"""

from __future__ import annotations

import hashlib

from flask_babel import gettext as _
from sqlalchemy import select

from analysis.instrument import Instrument
from survey.audit import record
from survey.extensions import db
from survey.languages.catalog import BUILTIN_NAMES, required_texts
from survey.models import Language, Recording, utcnow
from survey.validation import InputError

__all__ = ["MAX_BYTES", "delete_recording", "recordable_codes", "recordings", "sniff", "store_recording"]

MAX_BYTES = 20 * 1024


def sniff(data: bytes) -> str | None:
    """The media type of an Opus-in-Ogg or MP3 file from its magic bytes, else None."""
    if data[:4] == b"OggS" and data[28:36] == b"OpusHead":
        return "audio/ogg"
    if data[:3] == b"ID3" and len(data) > 10:
        return "audio/mpeg"
    if len(data) > 4 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06:
        return "audio/mpeg"  # an MPEG audio frame header (layer bits set)
    return None


def recordable_codes(ins: Instrument) -> dict[str, str]:
    """Code -> Vietnamese of every question and option that may have a recording."""
    return {c: t for c, t in required_texts(ins).items() if c.startswith(("item.", "option."))}


def _language(ins: Instrument, lang: str) -> Language:
    language = db.session.get(Language, lang)
    if language is None:
        if lang not in ins.languages:
            raise InputError(_("Language '%(code)s': import its translation sheet first.", code=lang))
        language = Language(code=lang, endonym=BUILTIN_NAMES.get(lang, lang), version=0)
        db.session.add(language)
    return language


def store_recording(ins: Instrument, lang: str, code: str, data: bytes) -> Recording:
    """Store (or replace) the recording of one code in one language; the caller commits."""
    if code not in recordable_codes(ins):
        raise InputError(_("Code '%(code)s' is not a question or an option of the survey.", code=code))
    if len(data) > MAX_BYTES:
        raise InputError(_("Recording: %(kb)d KB; at most 20 KB are allowed.", kb=(len(data) + 1023) // 1024))
    mime = sniff(data)
    if mime is None:
        raise InputError(_("Recording: not an Opus (.opus, .ogg) or MP3 (.mp3) file."))
    language = _language(ins, lang)
    row = db.session.scalars(select(Recording).where(Recording.lang == lang, Recording.code == code)).first()
    if row is None:
        row = Recording(lang=lang, code=code)
        db.session.add(row)
    row.mime, row.size, row.data = mime, len(data), data
    row.digest = hashlib.sha256(data).hexdigest()
    row.uploaded_at = utcnow()
    language.version += 1
    language.updated_at = utcnow()
    db.session.flush()
    record("recording.upload", "recording", f"{lang}:{code}", after={"mime": mime, "size": len(data)})
    return row


def delete_recording(lang: str, code: str) -> bool:
    """Remove one recording; False when there was none. The caller commits."""
    row = db.session.scalars(select(Recording).where(Recording.lang == lang, Recording.code == code)).first()
    if row is None:
        return False
    db.session.delete(row)
    language = db.session.get(Language, lang)
    if language is not None:
        language.version += 1
    record("recording.delete", "recording", f"{lang}:{code}", before={"mime": row.mime, "size": row.size})
    return True


def recordings(lang: str) -> dict[str, Recording]:
    """Code -> recording of one language (for the officer's page)."""
    rows = db.session.scalars(select(Recording).where(Recording.lang == lang)).all()
    return {r.code: r for r in rows}
