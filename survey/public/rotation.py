"""Balanced rotation of the policy group a respondent is asked about."""

from __future__ import annotations

import secrets

from sqlalchemy import bindparam, select

from analysis.instrument import Instrument
from survey.extensions import db
from survey.models import Period, RotationCount, ServicePoint

__all__ = ["assign_group"]

# Built once: building a select and its cache key on every form load cost three times as much
# as running it (≈0.35 ms of a ≈0.47 ms read), and the ORM session adds nothing to a plain read.
_COUNTS = select(RotationCount.policy_group, RotationCount.responses).where(
    RotationCount.point_id == bindparam("point"), RotationCount.period_id == bindparam("period")
)


def assign_group(ins: Instrument, point: ServicePoint, period: Period) -> str | None:
    """The group with the fewest answers at this point in this period; ties drawn at random.

    The counts live in the database (``rotation_count``, kept by the write path), so several
    servers share them and a form load reads a handful of rows however many responses are
    stored; the random tie-break spreads simultaneous form loads across groups.
    """
    groups = list(ins.policy_groups)
    if not groups:
        return None
    found = db.session.connection().execute(_COUNTS, {"point": point.id, "period": period.id})
    counts = dict(found.all())
    fewest = min(counts.get(g, 0) for g in groups)
    return secrets.choice([g for g in groups if counts.get(g, 0) == fewest])
