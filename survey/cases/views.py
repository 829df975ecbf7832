"""Officials' pages of cases: the list (with filters), one case, the figures per unit.

Every page needs a login; what a user sees is cut by survey/cases/access.py, so another
unit's case and an allegation against one's own unit both answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, func, select

from survey.auth.access import family_ids, load_unit_or_404, require_role
from survey.cases.access import case_scope, escalation_reader, readers_of
from survey.cases.figures import due_date, is_overdue
from survey.cases.report import province_cases
from survey.cases.settings import placeholders
from survey.extensions import db
from survey.models import CASE_CATEGORIES, CASE_STATUSES, Case, Unit
from survey.periods import local_today

__all__ = ["bp", "case_context"]

bp = Blueprint("cases", __name__, url_prefix="/cases")

PAGE = 50
STATUS_FILTERS = ("active", "all", *CASE_STATUSES)


@bp.before_request
def _logged_in() -> None:
    require_role("admin", "analyst", "viewer")


@dataclass(frozen=True)
class Filters:
    """The list's filters, from the query string (unknown values fall back to the default)."""

    status: str = "active"
    category: str = ""
    unit: Unit | None = None
    overdue: bool = False
    mine: bool = False
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls) -> Filters:
        args = request.args
        code = args.get("unit", "").strip()
        status = args.get("status", "active")
        category = args.get("category", "")
        return cls(
            status=status if status in STATUS_FILTERS else "active",
            category=category if category in CASE_CATEGORIES else "",
            unit=load_unit_or_404(code) if code else None,
            overdue=args.get("overdue") == "1",
            mine=args.get("mine") == "1",
            q=args.get("q", "").strip()[:100],
            page=max(1, args.get("page", 1, type=int) or 1),
        )

    def query(self) -> Select[tuple[Case]]:
        query = select(Case).where(case_scope(current_user))
        if self.status == "active":
            query = query.where(Case.status != "closed")
        elif self.status != "all":
            query = query.where(Case.status == self.status)
        if self.category:
            query = query.where(Case.category == self.category)
        if self.unit is not None:
            query = query.where(Case.unit_id.in_(sorted(family_ids({self.unit.id}))))
        if self.mine:
            query = query.where(Case.assignee_id == current_user.id)
        if self.q:
            query = query.where(Case.text.ilike(f"%{self.q}%"))
        return query.order_by(Case.created_at.desc(), Case.id.desc())


def _counts() -> dict[str, int]:
    query = select(Case.status, func.count()).where(case_scope(current_user)).group_by(Case.status)
    counts = dict.fromkeys(CASE_STATUSES, 0) | {s: int(n) for s, n in db.session.execute(query)}
    return counts


@bp.get("/")
def index() -> str:
    """The cases the user may work, newest first, with filters and counts."""
    filters = Filters.from_args()
    today = local_today()
    if filters.overdue:
        cases = [c for c in db.session.scalars(filters.query()) if is_overdue(c, today)]
        total, shown = len(cases), cases[(filters.page - 1) * PAGE : filters.page * PAGE]
    else:
        query = filters.query()
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        shown = list(db.session.scalars(query.limit(PAGE).offset((filters.page - 1) * PAGE)))
    return render_template(
        "cases/list.html",
        filters=filters,
        cases=shown,
        total=total,
        pages=max(1, -(-total // PAGE)),
        counts=_counts(),
        overdue={c.id for c in shown if is_overdue(c, today)},
        due={c.id: due_date(c.created_at) for c in shown},
        statuses=STATUS_FILTERS,
        categories=CASE_CATEGORIES,
        snv=escalation_reader(current_user),
        page_url=lambda p: url_for("cases.index", **{**request.args.to_dict(), "page": p}),
    )


def case_context(case: Case) -> dict[str, Any]:
    """What the case page shows besides the case itself."""
    return {
        "case": case,
        "due": due_date(case.created_at),
        "overdue": is_overdue(case),
        "readers": readers_of(case),
        "statuses": CASE_STATUSES,
        "categories": CASE_CATEGORIES,
        "snv": escalation_reader(current_user),
        "form": {},
    }


@bp.get("/<int:case_id>")
def show(case_id: int) -> str:
    """One case: the masked comment, its state, notes, the reply, and the forms to work it."""
    from survey.cases.access import load_case_or_404

    return render_template("cases/case.html", **case_context(load_case_or_404(case_id)))


@bp.get("/units")
def units() -> str:
    """Open, overdue and escalated cases and the median days to answer, per unit."""
    rows = province_cases()
    if not rows:
        abort(404)
    return render_template("cases/units.html", rows=rows, placeholders=placeholders())


from survey.cases import actions, settings_views  # noqa: E402,F401  (routes register on import)
