"""Error pages in the visitor's language (Vietnamese by default); JSON for the API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from survey.extensions import db

__all__ = ["init_app"]


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
    }.get(code, (_("Error"), _("An error occurred.")))


def _render(code: int):  # type: ignore[no-untyped-def]
    title, message = _messages(code)
    if request.path.startswith("/api/"):
        return jsonify(error=title, message=message, status=code), code
    return render_template("errors/page.html", title=title, message=message), code


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
                return inner.response if inner.code is None else _render(inner.code)
        return _render(400)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        return _render(exc.code or 500)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):  # type: ignore[no-untyped-def]
        db.session.rollback()
        if app.testing and not app.config.get("RENDER_500_IN_TESTS"):
            raise exc
        app.logger.exception("unhandled error")
        return _render(500)
