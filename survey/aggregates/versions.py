"""Reading the bookkeeping: data versions and response counts without touching a response."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Period, ServicePoint, Unit
from survey.models.aggregates import DataVersion, ResponseDay

__all__ = ["data_version", "response_counts"]


def data_version(unit_ids: Iterable[int] | None, period_id: int | None) -> str:
    """``rows:sum`` of the data-version counters of the units (all: None) in the period (all:
    None). Every change to their responses raises one counter, so the text changes."""
    query = select(func.count(DataVersion.id), func.coalesce(func.sum(DataVersion.version), 0))
    if period_id is not None:
        query = query.where(DataVersion.period_key == period_id)
    if unit_ids is not None:
        query = query.where(DataVersion.unit_id.in_(sorted(unit_ids)))
    rows, total = db.session.execute(query).one()
    return f"v{rows}:{total}"


def response_counts(unit_ids: Iterable[int]) -> list[tuple[str, str, str, str | None, str | None, str, int]]:
    """Responses per period, unit, counter and channel among the units, from the day counts.

    Rows are (period name, unit code, unit name, counter code, counter name, channel, n), newest
    period first (no period last), grouped by id (an old commune and the new one with its name are two units).
    """
    n = func.sum(ResponseDay.responses)
    query = (
        select(
            func.coalesce(Period.name, ""),
            Unit.code,
            Unit.name,
            ServicePoint.code,
            ServicePoint.name,
            ResponseDay.channel,
            n,
        )
        .join(Unit, ResponseDay.unit_id == Unit.id)
        .outerjoin(Period, ResponseDay.period_key == Period.id)
        .outerjoin(ServicePoint, ResponseDay.point_key == ServicePoint.id)
        .where(ResponseDay.unit_id.in_(sorted(unit_ids)))
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
            ResponseDay.channel,
        )
        .having(n > 0)
        .order_by(
            Period.id.is_(None),
            Period.starts_on.desc(),
            Unit.name,
            Unit.code,
            ServicePoint.code,
            ResponseDay.channel,
        )
    )
    return [(*r[:6], int(r[6])) for r in db.session.execute(query)]  # type: ignore[misc]
