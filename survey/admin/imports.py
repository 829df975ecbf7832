"""Upload of paper and household-survey responses (interchange CSV/XLSX), all or nothing."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _

from survey.admin import bp
from survey.admin.forms import done, uploaded
from survey.extensions import db
from survey.paper import import_responses
from survey.validation import InputError


@bp.route("/imports/responses", methods=["GET", "POST"])
def import_responses_page():  # type: ignore[no-untyped-def]
    """The upload form; errors name the row and column and nothing is stored."""
    if request.method == "GET":
        return render_template("admin/import_responses.html")
    try:
        data, name = uploaded()
        count = import_responses(data, name)
    except InputError as exc:
        db.session.rollback()
        return render_template("admin/import_responses.html", error=str(exc)), 422
    return done(_("%(n)d responses imported.", n=count), url_for("admin.import_responses_page"))
