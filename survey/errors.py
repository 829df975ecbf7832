"""Error pages in the visitor's language (Vietnamese by default); JSON for the API.

Every handler here renders without the database: a database fault is exactly when these
pages are needed. Nothing below touches `current_user` or a model, the page template is the
citizens' one (no account menu), and the language comes from the request alone. A refused
body (413) is never read again: the flag `g.body_refused` keeps the language selector off it.
"""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from survey.database import is_database_fault
from survey.extensions import db, login_manager

__all__ = ["init_app", "render_error"]


def _messages(code: int) -> tuple[str, str]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Please go back and try again.")),
        403: (_("Not allowed"), _("Your account may not open this page.")),
        404: (_("Page not found"), _("This address or QR code is not valid. Please ask at the counter.")),
        410: (
            _("The survey is closed"),
            _("This survey is not open at the moment. Thank you for your interest."),
        ),
        413: (_("File too large"), _("The file is larger than allowed.")),
        429: (_("Too many attempts"), _("Please wait a minute and try again.")),
        500: (_("Something went wrong"), _("Sorry, an error occurred. Please try again in a moment.")),
        503: (
            _("Temporarily unavailable"),
            _("The service is briefly unavailable. Please try again in a few minutes."),
        ),
    }.get(code, (_("Error"), _("An error occurred.")))


def render_error(code: int, title: str | None = None, message: str | None = None):  # type: ignore[no-untyped-def]
    """The error page (or JSON on the API) for a status code."""
    default_title, default_message = _messages(code)
    title, message = title or default_title, message or default_message
    if request.path.startswith("/api/"):
        return jsonify(error=title, message=message, status=code), code
    if "_login_user" not in g:
        # Flask-Login's context processor would load the account from the database to render
        # any template; an error page names no one, so it renders for an anonymous visitor.
        g._login_user = login_manager.anonymous_user()
    return render_template("errors/page.html", title=title, message=message), code


def _too_large():  # type: ignore[no-untyped-def]
    g.body_refused = True
    if request.path.startswith("/s/"):
        return render_error(
            413,
            _("Your answers are too long"),
            _("Please shorten the comment and send again (use the browser's Back button)."),
        )
    return render_error(413)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the database may be the thing that is down
        db.session.close()


def _database_fault():  # type: ignore[no-untyped-def]
    from survey.faults import survey_unavailable

    _rollback()
    if request.blueprint == "public" and request.method == "POST" and not g.get("body_refused"):
        page = survey_unavailable()
        if page is not None:
            return page
    return render_error(503)


def init_app(app: Flask) -> None:
    """Register the handlers; the 500 handler rolls the session back first."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # type: ignore[no-untyped-def]
        if request.blueprint == "public" and request.method == "POST":
            from survey.public.views import resubmit_after_csrf

            try:
                return resubmit_after_csrf()
            except HTTPException as inner:
                # An unknown or replaced token: errors raised inside a handler are not handled again.
                return inner.response if inner.code is None else render_error(inner.code)
            except Exception as inner:
                if is_database_fault(inner):
                    return _database_fault()
                raise
        return render_error(400)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
        return _too_large()

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):  # type: ignore[no-untyped-def]
        if is_database_fault(exc):
            app.logger.warning("database unavailable: %s", type(exc).__name__)
            return _database_fault()
        _rollback()
        if app.testing and not app.config.get("RENDER_500_IN_TESTS"):
            raise exc
        app.logger.exception("unhandled error")
        return render_error(500)
