"""`GET /api/v1/indices`: the index JSON of SPEC 3.6 for logged-in officials, scoped to what
they may read (a viewer: their unit's subtree and history; admin and analyst: everything).

Query: ``period=CODE`` (default: every period), ``unit=CODE`` (default: everything the caller
may read), ``by=unit|point|month|quarter``. Results come from report_cache while the data
behind them is unchanged, like the report pages.
"""

from __future__ import annotations

from flask import Response, abort, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from analysis import AnalysisError, to_json_dict
from survey.api import bp
from survey.auth.access import family_ids, load_unit_or_404, require_role
from survey.bridge import responses_frame
from survey.extensions import db
from survey.models import Period, Unit
from survey.reports.indices import BY, cached, compute, province_version

__all__ = ["indices"]


def _invalid(message: str) -> tuple[Response, int]:
    return jsonify(error="invalid", message=message, status=422), 422


def _scope_units() -> tuple[str, set[int] | None]:
    """The asked unit (404 outside the caller's units), else all the caller may read."""
    code = request.args.get("unit")
    if code:
        unit = load_unit_or_404(code)
        return unit.code, family_ids({unit.id})
    if current_user.role in ("admin", "analyst"):
        return "*", None
    own = db.session.get(Unit, current_user.unit_id) if current_user.unit_id is not None else None
    if own is None:
        abort(404)
    return own.code, family_ids({own.id})


@bp.get("/indices")
def indices() -> Response | tuple[Response, int]:
    """SIPAS, sub-indices, elements and items with intervals, overall and per group."""
    require_role("admin", "analyst", "viewer")
    by = request.args.get("by") or None
    if by is not None and by not in BY:
        return _invalid(f"by: expected one of {', '.join(sorted(BY))}, got '{by}'")
    period = None
    if request.args.get("period"):
        period = db.session.scalar(select(Period).where(Period.code == request.args["period"]))
        if period is None:
            abort(404)
    scope_code, unit_ids = _scope_units()
    period_id = None if period is None else period.id

    def make() -> dict:
        frame = responses_frame(period_id, unit_ids, attach_to_successor=True)
        # As on the unit page: a small unit's importances come from the province's responses.
        province = None if unit_ids is None else responses_frame(period_id, attach_to_successor=True)
        return to_json_dict(compute(frame, by, province))

    salt = "" if unit_ids is None else f"province:{province_version(period_id)}"
    try:
        payload = cached(f"api:{scope_code}:{period_id or 'all'}:{by or ''}", unit_ids, period_id, make, salt)
    except AnalysisError as exc:
        return _invalid(str(exc))
    return jsonify(payload)
