"""Timeliness and counts of cases per unit: the platform's own measure of element B5.

A case is *open* while it waits for an answer (new, in progress); it is *overdue* when it is
still open after N working days (``SIPAS_CASES_DUE_DAYS``, default 5; survey/cases/workdays.py).
*Days to answer* are the working days from the day a case came in to the day its first
public reply was published (same day = 0); a case closed without a reply has none. Escalated
cases (allegations) count only as "escalated" for the unit: their state is Sở Nội vụ's.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select

from survey.cases.workdays import Calendar, load_calendar
from survey.extensions import db
from survey.models import Case, Period
from survey.periods import LOCAL_TZ, local_today

__all__ = [
    "Figures",
    "calendar",
    "days_to_answer",
    "due_date",
    "figures_of",
    "is_overdue",
    "local_day",
    "report_comments",
    "unit_figures",
]


@lru_cache(maxsize=4)
def _calendar(path: str | None) -> Calendar:
    return load_calendar(path)


def calendar() -> Calendar:
    """The configured calendar of working days."""
    return _calendar(current_app.config.get("CASES_HOLIDAYS"))


def local_day(at: datetime) -> date:
    """The day in Vietnam of a naive UTC timestamp."""
    return at.replace(tzinfo=UTC).astimezone(LOCAL_TZ).date()


def due_date(created_at: datetime) -> date:
    """The last day to answer a case received at ``created_at``."""
    return calendar().add_working_days(local_day(created_at), int(current_app.config["CASES_DUE_DAYS"]))


def is_overdue(case: Case, today: date | None = None) -> bool:
    """Open after its due date."""
    return case.is_open and (today or local_today()) > due_date(case.created_at)


def days_to_answer(case: Case) -> int | None:
    """Working days from receipt to the first public reply."""
    if case.answered_at is None:
        return None
    return calendar().working_days_between(local_day(case.created_at), local_day(case.answered_at))


@dataclass(frozen=True)
class Figures:
    """A unit's case figures (escalated cases only in ``escalated``)."""

    total: int = 0
    open: int = 0
    overdue: int = 0
    answered: int = 0
    closed: int = 0
    escalated: int = 0
    median_days: float | None = None
    answered_on_time: int = 0
    answered_late: int = 0

    @property
    def on_time_share(self) -> float | None:
        """Share of replied cases whose first reply came within the deadline, in percent."""
        replied = self.answered_on_time + self.answered_late
        return None if replied == 0 else 100.0 * self.answered_on_time / replied


def figures_of(cases: Iterable[Case], today: date | None = None) -> Figures:
    """Figures of a set of cases."""
    today = today or local_today()
    due_days = int(current_app.config["CASES_DUE_DAYS"])
    counts = {"total": 0, "open": 0, "overdue": 0, "answered": 0, "closed": 0, "escalated": 0}
    days: list[int] = []
    for case in cases:
        if case.escalated:
            counts["escalated"] += 1
            continue
        counts["total"] += 1
        counts["open"] += case.is_open
        counts["overdue"] += is_overdue(case, today)
        counts["answered"] += case.status == "answered"
        counts["closed"] += case.status == "closed"
        if (d := days_to_answer(case)) is not None:
            days.append(d)
    on_time = sum(d <= due_days for d in days)
    median = float(statistics.median(days)) if days else None
    return Figures(**counts, median_days=median, answered_on_time=on_time, answered_late=len(days) - on_time)


def _in_period(query, period: Period | None):  # type: ignore[no-untyped-def]
    return query if period is None else query.where(Case.period_id == period.id)


def unit_figures(unit_ids: set[int], period: Period | None = None) -> Figures:
    """Figures of the cases of some units (a unit's family), optionally of one survey period."""
    query = _in_period(select(Case).where(Case.unit_id.in_(sorted(unit_ids))), period)
    return figures_of(db.session.scalars(query))


def report_comments(unit_ids: set[int], period: Period | None = None, limit: int = 50) -> dict[str, object]:
    """The newest comments a unit's report may show: masked, never an allegation, newest first."""
    visible = _in_period(
        select(Case).where(
            Case.unit_id.in_(sorted(unit_ids)), Case.category != "misconduct", Case.text.is_not(None)
        ),
        period,
    )
    total = db.session.scalar(select(func.count()).select_from(visible.subquery()))
    latest = db.session.scalars(visible.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit))
    return {"total": total or 0, "latest": list(latest)}
