"""Officials' reports: the units a user may read, and a page per unit (its subtree and history).

A viewer reads only their unit's subtree; any other unit answers 404, so its existence is not
revealed. The unit page shows the indices of a chosen period (survey/reports/payloads.py keeps
them computed) above the response counts; exports.py serves the same report as files,
province.py the province overview for Sở Nội vụ, summary.py the one-page printout.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from analysis.interchange import write_responses
from survey.aggregates import response_counts as aggregate_counts
from survey.auth.access import family_ids, load_unit_or_404, require_role, visible_unit_ids
from survey.bridge import responses_frame
from survey.extensions import db
from survey.i18n import current_language
from survey.instrument import instrument
from survey.models import Period, ServicePoint, Unit
from survey.privacy import export_frame
from survey.reports.chart import trend_chart
from survey.reports.indices import cached
from survey.reports.page import chosen_period, indices_context, periods_context
from survey.reports.payloads import unit_report
from survey.reports.present import criterion_name, criterion_trend
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
    Read from the per-day counts the write path keeps (survey/aggregates), not the responses.
    """
    return aggregate_counts(unit_ids)


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
    from survey.actions.records import effects
    from survey.actions.views import can_act, named

    unit = load_unit_or_404(code)
    context = unit_context(unit) | indices_context(unit)
    return render_template("reports/unit.html", actions=named(effects(unit)), can_act=can_act(), **context)


@bp.get("/<code>/trend/<criterion>")
def criterion(code: str, criterion: str) -> str:
    """One criterion's (or element's) value by month for the unit, linked from 'improve first'."""
    unit = load_unit_or_404(code)
    name = criterion_name(criterion, current_language())
    if not name:
        abort(404)
    period, period_code = chosen_period()
    payload = unit_report(unit, period)
    rows = criterion_trend(payload, criterion)
    chart = trend_chart(rows, None, "value")
    return render_template(
        "reports/criterion.html",
        unit=unit,
        code=criterion,
        name=name,
        rows=rows,
        chart=chart,
        confidence=payload["indices"]["confidence"],
        **periods_context(period, period_code),
    )


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


from survey.reports import exports, province  # noqa: E402,F401  (routes register on import)
