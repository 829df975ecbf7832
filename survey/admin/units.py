"""Unit tree: list, import, view with its counters, edit, retire into a successor; posters of a unit."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from survey.admin import bp
from survey.admin.forms import checked, done, uploaded
from survey.extensions import db
from survey.models import UNIT_KINDS, ServicePoint, Unit
from survey.qr import poster_html, poster_pdf
from survey.tree import import_unit_file, retire_unit, unit_by_code, unit_tree, update_unit
from survey.units import UnitImportError
from survey.validation import InputError, optional_date

SAMPLE = "survey/data/lai-chau-units.csv"


def unit_or_404(code: str) -> Unit:
    unit = unit_by_code(code)
    if unit is None:
        abort(404)
    return unit


@bp.get("/units")
def units() -> str:
    """The unit tree (current units; ?all=1 adds the retired ones)."""
    include_retired = request.args.get("all") == "1"
    return render_template(
        "admin/units.html", tree=unit_tree(include_retired), include_retired=include_retired
    )


@bp.route("/units/import", methods=["GET", "POST"])
def import_units():  # type: ignore[no-untyped-def]
    """Upload a unit CSV/XLSX: everything is imported, or nothing and the row in error is named."""
    if request.method == "GET":
        return render_template("admin/import_units.html", sample=SAMPLE)
    try:
        data, name = uploaded()
        created, updated = import_unit_file(data, name)
    except (InputError, UnitImportError) as exc:
        db.session.rollback()
        return render_template("admin/import_units.html", sample=SAMPLE, error=str(exc)), 422
    return done(_("%(c)d units created, %(u)d updated.", c=created, u=updated), url_for("admin.units"))


@bp.get("/units/<code>")
def unit(code: str) -> str:
    """A unit, its counters (with their QR codes and posters) and the retire form."""
    unit = unit_or_404(code)
    points = db.session.scalars(
        select(ServicePoint).where(ServicePoint.unit_id == unit.id).order_by(ServicePoint.code)
    )
    return render_template("admin/unit.html", unit=unit, points=list(points))


@bp.route("/units/<code>/edit", methods=["GET", "POST"])
def edit_unit(code: str):  # type: ignore[no-untyped-def]
    """Edit a unit's name, kind, parent and dates."""
    unit = unit_or_404(code)
    if request.method == "POST":
        try:
            update_unit(unit, request.form.to_dict())
        except InputError as exc:
            db.session.rollback()
            return render_template("admin/unit_edit.html", unit=unit, kinds=UNIT_KINDS, error=str(exc)), 422
        return done(_("Unit saved."), url_for("admin.unit", code=unit.code))
    return render_template("admin/unit_edit.html", unit=unit, kinds=UNIT_KINDS)


@bp.post("/units/<code>/retire")
def retire(code: str):  # type: ignore[no-untyped-def]
    """Retire a unit into its successor (e.g. a commune merged on 1/7/2025)."""
    unit = unit_or_404(code)
    try:
        last_day = optional_date(request.form.get("valid_to"), _("Last day"))
        retire_unit(unit, request.form.get("successor_code", ""), last_day, checked("move_points"))
    except InputError as exc:
        db.session.rollback()
        points = sorted(unit.points, key=lambda p: p.code)
        return render_template("admin/unit.html", unit=unit, points=points, error=str(exc)), 422
    return done(_("Unit retired."), url_for("admin.unit", code=unit.code))


def _active_points(unit: Unit) -> list[ServicePoint]:
    return sorted((p for p in unit.points if p.active), key=lambda p: p.code)


@bp.get("/units/<code>/posters")
def unit_posters(code: str) -> str:
    """An A4 sheet with the posters of every active counter of the unit."""
    unit = unit_or_404(code)
    return poster_html(_active_points(unit), sheet=True, back=url_for("admin.unit", code=unit.code))


@bp.get("/units/<code>/posters.pdf")
def unit_posters_pdf(code: str) -> Response:
    """The A4 sheet of posters as PDF."""
    unit = unit_or_404(code)
    pdf = poster_pdf(poster_html(_active_points(unit), sheet=True))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="posters-{unit.code}.pdf"'},
    )
