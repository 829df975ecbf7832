"""GET/POST /login and POST /logout (SPEC 3.7), with throttling of failed attempts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response as WerkzeugResponse

from survey import audit
from survey.auth import bind_session, bp
from survey.auth.passwords import verify_password
from survey.extensions import db, limiter
from survey.models import User, utcnow

# Strict per account (guessing one official's password), generous per client address: a whole
# service centre often reaches the internet through one NAT address and must not be locked out.
ACCOUNT_LIMIT = "5 per 15 minutes"
CLIENT_LIMIT = "60 per 15 minutes"


def _email() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


def _account_key() -> str:
    return "login-account:" + _email()


def _client_key() -> str:
    return "login-client:" + get_remote_address()


def _failed(response: WerkzeugResponse) -> bool:
    return response.status_code == 401


def _is_local_path(target: str) -> bool:
    """Whether a `next` target stays on this site.

    Browsers and Werkzeug drop tabs and newlines and read a backslash as a slash, so
    '/<tab>/evil.example' or '/<backslash>evil.example' would become '//evil.example': refused.
    """
    if not target.startswith("/") or any(ord(c) < 33 or c == "\x7f" for c in target):
        return False
    parts = urlsplit(target.replace("\\", "/"))
    return not parts.scheme and not parts.netloc


def _next_url(user: User) -> str:
    """Where to go after login: the page asked for (same site only), else the role's home."""
    target = request.args.get("next", "")
    if _is_local_path(target):
        return target
    from survey.reports.landing import home_url  # the role's start page (`/` sends there too)

    return home_url()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ACCOUNT_LIMIT, key_func=_account_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(CLIENT_LIMIT, key_func=_client_key, methods=["POST"], deduct_when=_failed)
def login():  # type: ignore[no-untyped-def]
    """The login form; a success starts a fresh session, every attempt is audited."""
    if request.method == "GET":
        return render_template("auth/login.html", email="")
    email, password = _email(), request.form.get("password", "")
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if not verify_password(user.password_hash if user else None, password) or not user.is_active:
        audit.record("login.failure", "user", user.id if user else "", actor=email or "-")
        db.session.commit()
        error = _("Wrong e-mail or password, or the account is disabled.")
        return render_template("auth/login.html", email=email, error=error), 401
    session.clear()  # no session fixation: the logged-in session is a new one
    login_user(user)
    bind_session(user)
    user.last_login_at = utcnow()
    audit.record("login.success", "user", user.id)
    db.session.commit()
    return redirect(_next_url(user), 303)


@bp.post("/logout")
def logout() -> WerkzeugResponse:
    """End the session and go back to the login page."""
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    return redirect(url_for("auth.login"), 303)
