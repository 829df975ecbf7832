"""Cases in the officials' reports: what the unit report and the province overview include.

The unit report's comment list shows cases — masked, never an allegation — and the unit's
handling figures; the province overview has one row of figures per unit. Both are read live,
not from the report cache: a case escalated a minute ago must already be gone from the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_login import current_user
from sqlalchemy import select

from survey.auth.access import family_ids, visible_unit_ids
from survey.cases.figures import Figures, figures_of, report_comments, unit_figures
from survey.extensions import db
from survey.models import Case, Period, Unit
from survey.periods import local_today
from survey.tree import unit_tree

__all__ = ["COMMENTS_SHOWN", "province_cases", "unit_case_comments", "unit_case_figures"]

COMMENTS_SHOWN = 50


def unit_case_figures(unit: Unit, period: Period | None = None) -> Figures:
    """Case figures of a unit's subtree and history (templates/cases/_unit_report.html)."""
    return unit_figures(family_ids({unit.id}), period)


def unit_case_comments(unit: Unit, period: Period | None = None) -> dict[str, Any]:
    """The newest comments a unit's report shows (templates/cases/_report.html)."""
    return report_comments(family_ids({unit.id}), period, COMMENTS_SHOWN)


def province_cases(
    units: Iterable[Unit] | None = None, period: Period | None = None
) -> list[tuple[Unit, Figures]]:
    """One row of figures per unit (default: every current unit the user may read, in tree order)."""
    if units is None:
        visible = visible_unit_ids(current_user)
        units = [u for u, _depth in unit_tree(on=local_today()) if visible is None or u.id in visible]
    units = list(units)
    query = select(Case)
    if period is not None:
        query = query.where(Case.period_id == period.id)
    by_unit: dict[int, list[Case]] = {}
    for case in db.session.scalars(query):
        by_unit.setdefault(case.unit_id, []).append(case)
    today = local_today()
    rows = []
    for unit in units:
        family = family_ids({unit.id})
        rows.append((unit, figures_of((c for uid in family for c in by_unit.get(uid, ())), today)))
    return rows
