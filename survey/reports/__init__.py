"""Officials' reports: the units a user may read, and a page per unit (its subtree and history).

A viewer reads only their unit's subtree; any other unit answers 404, so its existence is not
revealed. The unit page shows the indices of a chosen period (survey/reports/indices.py keeps
them computed) above the response counts; exports.py serves the same report as files.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from analysis.interchange import write_responses
from survey.auth.access import family_ids, load_unit_or_404, require_role, visible_unit_ids
from survey.bridge import responses_frame
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Period, ServicePoint, Unit
from survey.models import Response as SurveyResponse
from survey.privacy import export_frame
from survey.reports.indices import cached
from survey.reports.page import indices_context
from survey.tree import unit_tree

__all__ = ["bp", "response_counts", "unit_context"]

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.before_request
def _logged_in() -> None:
    require_role("admin", "analyst", "viewer")


@bp.get("/")
def index() -> str:
    """The current units the user may read, in tree order."""
    visible = visible_unit_ids(current_user)
    tree = [(u, d) for u, d in unit_tree() if visible is None or u.id in visible]
    if visible is not None and tree:
        top = min(d for _u, d in tree)
        tree = [(u, d - top) for u, d in tree]
    return render_template("reports/index.html", tree=tree)


CountRow = tuple[str, str, str, str | None, str | None, str, int]


def response_counts(unit_ids: set[int]) -> list[CountRow]:
    """Responses per period, unit and counter among the given units.

    Rows are (period, unit code, unit name, counter code, counter name, channel, n). Grouped by
    id, not by name: an old commune and the new one that took its name are different units.
    """
    query = (
        select(
            func.coalesce(Period.name, ""),
            Unit.code,
            Unit.name,
            ServicePoint.code,
            ServicePoint.name,
            SurveyResponse.channel,
            func.count(SurveyResponse.id),
        )
        .join(Unit, SurveyResponse.unit_id == Unit.id)
        .outerjoin(Period, SurveyResponse.period_id == Period.id)
        .outerjoin(ServicePoint, SurveyResponse.point_id == ServicePoint.id)
        .where(SurveyResponse.unit_id.in_(unit_ids))
        .group_by(
            Period.id,
            Period.starts_on,
            Period.name,
            Unit.id,
            Unit.code,
            Unit.name,
            ServicePoint.id,
            ServicePoint.code,
            ServicePoint.name,
            SurveyResponse.channel,
        )
        .order_by(Period.starts_on.desc(), Unit.name, Unit.code, ServicePoint.code, SurveyResponse.channel)
    )
    return [tuple(r) for r in db.session.execute(query)]  # type: ignore[misc]


def _names(unit_ids: set[int]) -> str:
    """The codes and names the counts table copies: renaming any of them makes it stale."""
    units = db.session.execute(
        select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(unit_ids)).order_by(Unit.id)
    )
    points = db.session.execute(
        select(ServicePoint.id, ServicePoint.code, ServicePoint.name)
        .where(ServicePoint.unit_id.in_(unit_ids))
        .order_by(ServicePoint.id)
    )
    periods = db.session.execute(select(Period.id, Period.name).order_by(Period.id))
    return repr([list(units), list(points), list(periods)])


def unit_context(unit: Unit) -> dict[str, Any]:
    """Response counts of the unit's subtree and the units merged into it, for its page.

    Counting 100,000 responses by period, unit, counter and channel takes longer than the whole
    page may (SPEC §4), so the counts are kept in report_cache like the indices.
    """
    family = family_ids({unit.id})
    counts = cached(
        f"counts:{unit.id}", family, None, lambda: {"rows": response_counts(family)}, _names(family)
    )
    rows: list[CountRow] = [tuple(r) for r in counts["rows"]]  # type: ignore[misc]
    predecessors = db.session.scalars(
        select(Unit).where(Unit.successor_id.in_(family), Unit.id != unit.id).order_by(Unit.name)
    )
    return {"unit": unit, "rows": rows, "total": sum(r[-1] for r in rows), "predecessors": list(predecessors)}


@bp.get("/<code>")
def unit(code: str) -> str:
    """A unit's report for a period: its indices (from the cache) and its response counts."""
    unit = load_unit_or_404(code)
    return render_template("reports/unit.html", **unit_context(unit), **indices_context(unit))


@bp.get("/<code>/responses.csv")
def export(code: str) -> Response:
    """The unit's responses (subtree and history) in the interchange format (analysts and admins)."""
    # Scope first: a viewer must get 404 for another unit (SPEC 3.7), 403 only for their own.
    unit = load_unit_or_404(code)
    require_role("admin", "analyst")
    # The per-phone hash only for an admin who asks for it (audited): survey/privacy.py.
    with_hash = request.args.get("device_hash") == "1" and current_user.role == "admin"
    frame = export_frame(
        responses_frame(unit_ids=family_ids({unit.id})), with_device_hash=with_hash, scope=unit.code
    )
    if with_hash:
        db.session.commit()
    buf = io.StringIO()
    write_responses(frame, buf, instrument())
    return Response(
        buf.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="responses-{unit.code}.csv"'},
    )


from survey.reports import exports  # noqa: E402,F401  (routes register on import)
