"""Dossier counts per counter and month (from the one-stop system): upload and download."""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _

from survey.admin import bp
from survey.admin.forms import done, uploaded
from survey.dossiers import COLUMNS, export_rows, import_dossiers
from survey.extensions import db
from survey.validation import InputError

SHOWN = 24  # the newest rows on the page; the download has all of them


@bp.route("/dossiers", methods=["GET", "POST"])
def dossiers_page():  # type: ignore[no-untyped-def]
    """The upload form and the newest counts; errors name the row and column, nothing is stored."""
    rows = export_rows()
    newest = sorted(rows, key=lambda r: (r[2], r[0], r[1]), reverse=True)[:SHOWN]
    if request.method == "GET":
        return render_template("admin/dossiers.html", rows=newest, total=len(rows))
    try:
        data, name = uploaded()
        count = import_dossiers(data, name)
    except InputError as exc:
        db.session.rollback()
        return render_template("admin/dossiers.html", rows=newest, total=len(rows), error=str(exc)), 422
    return done(_("%(n)d dossier counts imported.", n=count), url_for("admin.dossiers_page"))


@bp.get("/dossiers.csv")
def dossiers_csv() -> Response:
    """Every stored count in the import format, so a corrected file can be sent back."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(export_rows())
    return Response(
        buf.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="dossier-counts.csv"'},
    )
