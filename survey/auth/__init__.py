"""Officials' log-in: Flask-Login set-up, the login and logout pages, role and scope checks."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.extensions import db, login_manager

__all__ = ["bp", "init_app"]

bp = Blueprint("auth", __name__)


def _load_user(user_id: str):  # type: ignore[no-untyped-def]
    from survey.models import User

    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    # A disabled account loses its open sessions at once, not at their expiry.
    return user if user is not None and user.active else None


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
    login_manager.login_message = _l("Please log in to open this page.")
    # A shared office computer: a working day, then log in again.
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=10))
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE", False))


from survey.auth import views  # noqa: E402,F401  (routes register on import)
