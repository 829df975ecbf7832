"""Handing the case code to the thank-you page without a URL.

The code must not appear in the address of the thank-you page: access logs would join it to
the submission they follow. So the code rides in a short-lived signed cookie, set on the
submit's redirect and only if the response was committed, and read once: the thank-you page
shows it, and the same answer deletes the cookie. It is scoped to the survey's paths, HttpOnly
and SameSite=Strict.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask.wrappers import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session

from survey.cases.codes import display

__all__ = ["init_app", "read_once", "remember"]

COOKIE = "sipas_case"
PATH = "/s/"
MAX_AGE = 15 * 60  # long enough to reach the page on a slow network, short enough to be forgotten
_PENDING = "cases.pending_codes"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="sipas-case-receipt")


def remember(code: str) -> None:
    """Queue a new case's code for the thank-you page, once the session commits."""
    from survey.extensions import db

    db.session.info.setdefault(_PENDING, []).append(code)


def _committed(session: Session) -> None:
    codes = session.info.pop(_PENDING, None)
    if codes and has_request_context():
        g.case_codes = [*g.get("case_codes", []), *codes]


def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def read_once() -> list[str]:
    """The codes of the cases this browser just opened (shown as ``ABCDE-FGHJK``), then forgotten."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    g.case_receipt_read = True
    try:
        codes = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return []
    return [display(c) for c in codes if isinstance(c, str)]


def _cookie(response: Response) -> Response:
    codes = g.pop("case_codes", None)
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    if codes:
        value = _serializer().dumps(codes)
        response.set_cookie(
            COOKIE, value, max_age=MAX_AGE, path=PATH, secure=secure, httponly=True, samesite="Strict"
        )
    elif g.pop("case_receipt_read", False):
        response.delete_cookie(COOKIE, path=PATH, secure=secure, httponly=True, samesite="Strict")
    return response


def init_app(app: Flask) -> None:
    """Set or delete the cookie after each request."""
    app.after_request(_cookie)


event.listen(Session, "after_commit", _committed)
event.listen(Session, "after_rollback", _rolled_back)
