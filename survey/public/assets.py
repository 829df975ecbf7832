"""The survey's script and recordings: immutable URLs, compressed once, cached by the phone.

The script is a static file named by its hash, so a phone keeps it for a year and a new
version is a new URL. Recordings are stored in the database and served by digest with their
own media type only (never sniffed), loaded only when the person taps "listen".
"""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from pathlib import Path

from flask import Response as FlaskResponse
from flask import abort, g, request
from sqlalchemy import select

from survey.extensions import db
from survey.i18n import current_language
from survey.instrument import instrument
from survey.languages.catalog import citizen_languages, pack, stored_languages
from survey.languages.ui import SheetDomain
from survey.models import Recording
from survey.public import bp

__all__ = ["script_digest"]

SCRIPT = Path(__file__).with_name("survey.js")
YEAR = 365 * 24 * 3600


@cache
def _script() -> tuple[str, bytes, bytes]:
    data = SCRIPT.read_bytes()
    return hashlib.sha256(data).hexdigest()[:12], data, gzip.compress(data, 9, mtime=0)


def script_digest() -> str:
    """The version of the survey script, part of its URL."""
    return _script()[0]


def _menu() -> list[tuple[str, str]]:
    return citizen_languages(instrument())


@bp.context_processor
def _public_globals() -> dict[str, object]:
    return {"script_digest": script_digest, "citizen_languages": _menu}


@bp.before_request
def _stored_language() -> None:
    """A language from a translation sheet speaks the survey's own words from its catalogue."""
    lang = current_language()
    if lang in stored_languages() and lang not in instrument().languages:
        from flask_babel import _get_current_context  # the request's Babel context (Flask-Babel 4)

        catalogue = pack(instrument(), lang).ui
        if catalogue is not None:
            _get_current_context().babel_domain = SheetDomain(catalogue)  # type: ignore[union-attr]
    g.setdefault("sipas_lang", lang)


@bp.get("/assets/survey-<digest>.js")
def script(digest: str) -> FlaskResponse:
    """The survey's script (gzip when the phone accepts it), cached for a year."""
    version, plain, packed = _script()
    if digest != version:
        abort(404)
    gz = "gzip" in request.headers.get("Accept-Encoding", "")
    reply = FlaskResponse(packed if gz else plain, mimetype="text/javascript")
    if gz:
        reply.headers["Content-Encoding"] = "gzip"
    reply.headers["Vary"] = "Accept-Encoding"
    reply.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return reply


@bp.get("/a/<digest>.<ext>")
def audio(digest: str, ext: str) -> FlaskResponse:
    """A recording by its sha256, with the media type it was checked to be."""
    row = db.session.execute(
        select(Recording.mime, Recording.data).where(Recording.digest == digest).limit(1)
    ).first()
    if row is None or len(digest) != 64:
        abort(404)
    reply = FlaskResponse(bytes(row.data), mimetype=row.mime)
    reply.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    reply.headers["Content-Disposition"] = "inline"
    return reply
