"""Officials' reports: the units a user may read, and a page per unit (its subtree and history).

A viewer reads only their unit's subtree; any other unit answers 404, so its existence is not
revealed. The index figures will join the unit page; for now it shows response counts.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, render_template
from flask_login import current_user
from sqlalchemy import func, select

from analysis.interchange import write_responses
from survey.auth.access import family_ids, load_unit_or_404, require_role, role_required, visible_unit_ids
from survey.bridge import responses_frame
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Period, ServicePoint, Unit
from survey.models import Response as SurveyResponse
from survey.tree import unit_tree

__all__ = ["bp"]

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


def response_counts(unit_ids: set[int]) -> list[tuple[str, str, str, str, int]]:
    """Responses per period, unit and counter among the given units: (period, unit, counter, channel, n)."""
    query = (
        select(
            func.coalesce(Period.name, ""),
            Unit.name,
            func.coalesce(ServicePoint.name, ""),
            SurveyResponse.channel,
            func.count(SurveyResponse.id),
        )
        .join(Unit, SurveyResponse.unit_id == Unit.id)
        .outerjoin(Period, SurveyResponse.period_id == Period.id)
        .outerjoin(ServicePoint, SurveyResponse.point_id == ServicePoint.id)
        .where(SurveyResponse.unit_id.in_(unit_ids))
        .group_by(Period.starts_on, Period.name, Unit.name, ServicePoint.name, SurveyResponse.channel)
        .order_by(Period.starts_on.desc(), Unit.name, ServicePoint.name, SurveyResponse.channel)
    )
    return [tuple(r) for r in db.session.execute(query)]  # type: ignore[misc]


@bp.get("/<code>")
def unit(code: str) -> str:
    """A unit's report: response counts of its subtree, merged predecessors included."""
    unit = load_unit_or_404(code)
    family = family_ids({unit.id})
    rows = response_counts(family)
    predecessors = db.session.scalars(
        select(Unit).where(Unit.successor_id.in_(family), Unit.id != unit.id).order_by(Unit.name)
    )
    return render_template(
        "reports/unit.html",
        unit=unit,
        rows=rows,
        total=sum(r[4] for r in rows),
        predecessors=list(predecessors),
    )


@bp.get("/<code>/responses.csv")
@role_required("admin", "analyst")
def export(code: str) -> Response:
    """The unit's responses (subtree and history) in the interchange format (analysts and admins)."""
    unit = load_unit_or_404(code)
    buf = io.StringIO()
    write_responses(responses_frame(unit_ids=family_ids({unit.id})), buf, instrument())
    return Response(
        buf.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="responses-{unit.code}.csv"'},
    )
