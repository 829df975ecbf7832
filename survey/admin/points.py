"""Counters: create, edit, activate/deactivate, rotate/revoke the token, QR images, posters, receipt codes."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from survey import points as ops
from survey import receipts
from survey.admin import bp
from survey.admin.forms import done
from survey.admin.units import unit_or_404
from survey.extensions import db
from survey.models import ServicePoint
from survey.qr import poster_html, poster_pdf, qr_png, qr_svg, survey_url
from survey.validation import InputError


def _point(point_id: int) -> ServicePoint:
    point = db.session.get(ServicePoint, point_id)
    if point is None:
        abort(404)
    return point


def _back(point: ServicePoint) -> str:
    return url_for("admin.unit", code=point.unit.code)


@bp.post("/units/<code>/points")
def create_point(code: str):  # type: ignore[no-untyped-def]
    """Add a counter under a unit."""
    unit = unit_or_404(code)
    form = request.form
    try:
        ops.create_point(unit, form.get("code", ""), form.get("name", ""), form.get("opening_hours", ""))
    except InputError as exc:
        db.session.rollback()
        points = sorted(unit.points, key=lambda p: p.code)
        return render_template("admin/unit.html", unit=unit, points=points, error=str(exc)), 422
    return done(_("Counter added."), url_for("admin.unit", code=unit.code))


@bp.route("/points/<int:point_id>/edit", methods=["GET", "POST"])
def edit_point(point_id: int):  # type: ignore[no-untyped-def]
    """Edit a counter's code, name and opening hours."""
    point = _point(point_id)
    if request.method == "POST":
        form = request.form
        try:
            ops.update_point(point, form.get("code", ""), form.get("name", ""), form.get("opening_hours", ""))
        except InputError as exc:
            db.session.rollback()
            return render_template("admin/point_edit.html", point=point, error=str(exc)), 422
        return done(_("Counter saved."), _back(point))
    return render_template("admin/point_edit.html", point=point)


@bp.post("/points/<int:point_id>/<any(activate, deactivate, rotate, revoke):action>")
def point_action(point_id: int, action: str):  # type: ignore[no-untyped-def]
    """Activate, deactivate, rotate the token (new posters needed) or revoke it."""
    point = _point(point_id)
    if action in ("activate", "deactivate"):
        ops.set_active(point, action == "activate")
    elif action == "rotate":
        ops.rotate_token(point)
    else:
        ops.revoke_token(point)
    messages = {
        "activate": _("Counter activated."),
        "deactivate": _("Counter deactivated."),
        "rotate": _("New QR code made: print and put up the new poster; the old one no longer works."),
        "revoke": _("QR code withdrawn and counter deactivated."),
    }
    return done(messages[action], _back(point))


@bp.get("/points/<int:point_id>/qr.png")
def point_png(point_id: int) -> Response:
    """The counter's QR code as PNG."""
    return Response(qr_png(survey_url(_point(point_id))), mimetype="image/png")


@bp.get("/points/<int:point_id>/qr.svg")
def point_svg(point_id: int) -> Response:
    """The counter's QR code as SVG."""
    return Response(qr_svg(survey_url(_point(point_id))), mimetype="image/svg+xml")


@bp.get("/points/<int:point_id>/poster")
def point_poster(point_id: int) -> str:
    """The counter's printable A5 poster."""
    point = _point(point_id)
    return poster_html([point], back=_back(point))


@bp.get("/points/<int:point_id>/poster.pdf")
def point_poster_pdf(point_id: int) -> Response:
    """The counter's A5 poster as PDF."""
    point = _point(point_id)
    name = f"poster-{point.unit.code}-{point.code}.pdf"
    return Response(
        poster_pdf(poster_html([point])),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@bp.post("/points/<int:point_id>/receipt-codes")
def mint_codes(point_id: int):  # type: ignore[no-untyped-def]
    """Mint single-use receipt codes for a counter and show them once."""
    point = _point(point_id)
    try:
        count = int(request.form.get("count", "1") or 1)
        days = int(request.form.get("ttl_days", "30") or 30)
        codes = receipts.mint(point, count, days)
    except (ValueError, InputError) as exc:
        db.session.rollback()
        message = str(exc) if isinstance(exc, InputError) else _("Count and days must be whole numbers.")
        return render_template("admin/codes.html", point=point, codes=[], error=message), 422
    db.session.commit()
    urls = [(c, receipts.receipt_url(c)) for c in codes]
    return render_template("admin/codes.html", point=point, codes=urls)
