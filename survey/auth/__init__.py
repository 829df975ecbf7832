"""Officials' log-in: Flask-Login set-up, the login and logout pages, role and scope checks."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, current_app, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.extensions import db, login_manager

if TYPE_CHECKING:
    from survey.models import User

__all__ = ["bind_session", "bp", "end_sessions", "init_app"]

bp = Blueprint("auth", __name__)

SESSION_KEY = "_password_mark"
VERSION_KEY = "_session_version"


def _password_mark(user: User) -> str:
    # A keyed digest, not a slice of the hash itself: the session cookie is signed but readable.
    key = current_app.secret_key
    secret = key.encode() if isinstance(key, str) else bytes(key or b"")
    return hmac.new(secret, user.password_hash.encode(), hashlib.sha256).hexdigest()[:16]


def bind_session(user: User) -> None:
    """Tie the current session to the user's password, so a password change ends the other sessions."""
    session[SESSION_KEY] = _password_mark(user)
    session[VERSION_KEY] = user.session_version or 0


def end_sessions(user: User) -> None:
    """Invalidate every session of the account on the server (the caller commits).

    A session cookie is signed, not stored: without this, a cookie copied before logout (a
    shared computer, a stolen backup) would keep working until it expires.
    """
    user.session_version = (user.session_version or 0) + 1


def _load_user(user_id: str):  # type: ignore[no-untyped-def]
    from survey.models import User

    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    # A disabled account loses its open sessions at once, not at their expiry.
    if user is None or not user.active:
        return None
    # So does every session opened before the password last changed (a leaked or shared one).
    if not hmac.compare_digest(session.get(SESSION_KEY, ""), _password_mark(user)):
        return None
    # And every session of the account once it logged out anywhere.
    if session.get(VERSION_KEY) != (user.session_version or 0):
        return None
    return user


def _unauthorized() -> WerkzeugResponse | tuple[WerkzeugResponse, int]:
    """JSON 401 for the API; the login page, coming back here afterwards, for HTML."""
    if request.path.startswith("/api/"):
        return jsonify(error="unauthorized", status=401), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    """Bind Flask-Login and the session settings officials' accounts need."""
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    # A shared office computer: a working day, then log in again.
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=10))


from survey.auth import views  # noqa: E402,F401  (routes register on import)
