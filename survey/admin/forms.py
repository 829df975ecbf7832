"""Small helpers shared by the admin views: the uploaded file, a checkbox, a flash-and-redirect."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.extensions import db
from survey.validation import InputError

__all__ = ["checked", "done", "uploaded"]

UPLOAD_SUFFIXES = (".csv", ".xlsx")


def uploaded() -> tuple[bytes, str]:
    """The bytes and name of the form's `file`, which must be a CSV or XLSX file."""
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InputError(_("File: choose a CSV or XLSX file."))
    if not file.filename.lower().endswith(UPLOAD_SUFFIXES):
        raise InputError(_("File: '%(name)s' is neither .csv nor .xlsx.", name=file.filename))
    return file.read(), file.filename


def checked(name: str) -> bool:
    """Whether a checkbox of the form is ticked."""
    return request.form.get(name) in ("1", "on", "true", "yes")


def done(message: str, target: str) -> WerkzeugResponse:
    """Commit the operation, say so, and go on (post/redirect/get)."""
    db.session.commit()
    flash(message, "ok")
    return redirect(target, 303)
