"""Balanced rotation of the policy group a respondent is asked about."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from analysis.instrument import Instrument
from survey.extensions import db
from survey.models import Period, Response, ServicePoint

__all__ = ["assign_group"]


def assign_group(ins: Instrument, point: ServicePoint, period: Period) -> str | None:
    """The group with the fewest answers at this point in this period; ties drawn at random.

    Counting stored responses keeps no state in the app process (several servers may run),
    and the random tie-break spreads simultaneous form loads across groups.
    """
    groups = list(ins.policy_groups)
    if not groups:
        return None
    counts = dict(
        db.session.execute(
            select(Response.policy_group, func.count())
            .where(Response.point_id == point.id, Response.period_id == period.id)
            .group_by(Response.policy_group)
        ).all()
    )
    fewest = min(counts.get(g, 0) for g in groups)
    return secrets.choice([g for g in groups if counts.get(g, 0) == fewest])
