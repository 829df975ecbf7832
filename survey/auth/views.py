"""GET/POST /login and POST /logout (SPEC 3.7), with throttling of failed attempts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response as WerkzeugResponse

from survey import audit
from survey.auth import bind_session, bp, end_sessions
from survey.auth.passwords import verify_password
from survey.auth.throttle import Attempt, account_digest
from survey.errors import render_error
from survey.extensions import db
from survey.models import User, utcnow


def _email() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


def _audit_actor(email: str, user: User | None) -> str:
    """Who a failed attempt names in the audit log: the account, never the text typed.

    People type their password into the e-mail box; an e-mail that is no account is kept only
    as a keyed digest, enough to see that one unknown name was tried many times.
    """
    if user is not None:
        return user.email
    return f"unknown:{account_digest(email)[:12]}" if email else "-"


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
def login():  # type: ignore[no-untyped-def]
    """The login form; a success starts a fresh session, every attempt is audited."""
    if request.method == "GET":
        return render_template("auth/login.html", email="")
    email, password = _email(), request.form.get("password", "")
    attempt = Attempt(email)
    if (wait := attempt.retry_after()) is not None:
        page, status = render_error(429)
        return page, status, {"Retry-After": str(wait)}
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if not verify_password(user.password_hash if user else None, password) or not user.is_active:
        attempt.failed()
        audit.record("login.failure", "user", user.id if user else "", actor=_audit_actor(email, user))
        db.session.commit()
        error = _("Wrong e-mail or password, or the account is disabled.")
        shown = email if user is not None else ""  # never echo what may be a password
        return render_template("auth/login.html", email=shown, error=error), 401
    session.clear()  # no session fixation: the logged-in session is a new one
    login_user(user)
    bind_session(user)
    user.last_login_at = utcnow()
    audit.record("login.success", "user", user.id)
    db.session.commit()
    return attempt.succeeded(redirect(_next_url(user), 303))


@bp.post("/logout")
def logout() -> WerkzeugResponse:
    """End this session, and every other session of the account (server side), then go to login."""
    if current_user.is_authenticated:
        end_sessions(current_user)
        db.session.commit()
        logout_user()
    session.clear()
    return redirect(url_for("auth.login"), 303)
