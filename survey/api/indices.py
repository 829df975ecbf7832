"""`GET /api/v1/indices`: the index JSON of SPEC 3.6 for logged-in officials, scoped to what
they may read (a viewer: their unit's subtree and history; admin and analyst: everything).

Query: ``period=CODE`` or ``period=all`` (default: the open period, as on the report pages and
in their exports; all periods when none is open), ``unit=CODE`` (default: everything the caller
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
from survey.extensions import db
from survey.models import Period, Unit
from survey.reports.indices import (
    BY,
    cached,
    compute_cells,
    default_period,
    load_cells,
    province_importance,
    province_version,
)
from survey.reports.page import ALL

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


def _period() -> Period | None:
    """The asked period (404 if unknown), ``all`` (None), or the reports' default period."""
    code = request.args.get("period")
    if not code:
        return default_period()
    if code == ALL:
        return None
    period = db.session.scalar(select(Period).where(Period.code == code))
    if period is None:
        abort(404)
    return period


@bp.get("/indices")
def indices() -> Response | tuple[Response, int]:
    """SIPAS, sub-indices, elements and items with intervals, overall and per group."""
    require_role("admin", "analyst", "viewer")
    by = request.args.get("by") or None
    if by is not None and by not in BY:
        return _invalid(f"by: expected one of {', '.join(sorted(BY))}, got '{by}'")
    period = _period()
    scope_code, unit_ids = _scope_units()
    period_id = None if period is None else period.id

    def make() -> dict:
        cells = load_cells(period, unit_ids)
        # As on the unit page: a small unit's importances come from the province's responses.
        province = None if unit_ids is None else province_importance(period)
        return to_json_dict(compute_cells(cells, by, province))

    salt = "" if unit_ids is None else f"province:{province_version(period_id)}"
    try:
        payload = cached(f"api:{scope_code}:{period_id or 'all'}:{by or ''}", unit_ids, period_id, make, salt)
    except AnalysisError as exc:
        return _invalid(str(exc))
    return jsonify(payload | {"period": ALL if period is None else period.code})
