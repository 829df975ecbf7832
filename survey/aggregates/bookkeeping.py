"""The write side: counters raised (or lowered) in the transaction that changes responses.

Each change is an upsert (``INSERT … ON CONFLICT DO UPDATE``), so two submissions at one
counter never race to create the same row, and the submit path costs three small statements
whatever the number of stored responses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from survey.extensions import db
from survey.models import Response
from survey.models.aggregates import DataVersion, ResponseDay, RotationCount
from survey.periods import LOCAL_TZ

__all__ = ["delete_responses", "local_day", "record_response", "record_responses", "touch_days"]

#: (unit_id, point_key, day, period_key, channel): the key of a ``response_day`` row.
DayKey = tuple[int, int, date, int, str]
_CHUNK = 500  # ids per IN (…) list


def local_day(submitted_at: datetime) -> date:
    """The day in Vietnam of a stored (naive UTC) timestamp."""
    return submitted_at.replace(tzinfo=UTC).astimezone(LOCAL_TZ).date()


def _upsert(model: type, keys: dict[str, object], add: dict[str, int]):  # type: ignore[no-untyped-def]
    """``INSERT keys+add ON CONFLICT (keys) DO UPDATE SET col = col + add`` on either database."""
    dialect = db.session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__  # type: ignore[attr-defined]
    stmt = make(table).values(**keys, **add)
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: table.c[c] + stmt.excluded[c] for c in add}
    )


def _bump(versions: Counter[tuple[int, int]], days: Counter[DayKey], rotation: Counter) -> None:
    """Apply counted changes: versions +1 per changed unit/period, day generations and counts."""
    for (unit_id, period_key), _n in sorted(versions.items()):
        db.session.execute(
            _upsert(DataVersion, {"unit_id": unit_id, "period_key": period_key}, {"version": 1})
        )
    for key, n in sorted(days.items()):
        unit_id, point_key, day, period_key, channel = key
        keys = {"unit_id": unit_id, "point_key": point_key, "day": day, "period_key": period_key}
        db.session.execute(
            _upsert(ResponseDay, keys | {"channel": channel}, {"generation": 1, "responses": n})
        )
    for (point_id, period_id, group), n in sorted(rotation.items()):
        keys = {"point_id": point_id, "period_id": period_id, "policy_group": group}
        db.session.execute(_upsert(RotationCount, keys, {"responses": n}))


def record_response(response: Response) -> None:
    """Bookkeeping of one response just flushed by the write path (three upserts)."""
    record_rows([_key_row(response)], +1)


def _key_row(r: Response) -> tuple[int, int | None, int | None, str | None, datetime, str]:
    return (r.unit_id, r.point_id, r.period_id, r.policy_group, r.submitted_at, r.channel)


def record_rows(rows: Iterable[Sequence], sign: int) -> None:  # type: ignore[type-arg]
    """Count rows of (unit_id, point_id, period_id, policy_group, submitted_at, channel) in (+1)
    or out (-1)."""
    versions: Counter[tuple[int, int]] = Counter()
    days: Counter[DayKey] = Counter()
    rotation: Counter[tuple[int, int, str]] = Counter()
    for unit_id, point_id, period_id, group, submitted_at, channel in rows:
        versions[(unit_id, period_id or 0)] = 1
        days[(unit_id, point_id or 0, local_day(submitted_at), period_id or 0, channel)] += sign
        if point_id is not None and period_id is not None:
            rotation[(point_id, period_id, group or "")] += sign
    _bump(versions, days, rotation)


def _key_rows(ids: Sequence[int]) -> list[tuple]:  # type: ignore[type-arg]
    out: list[tuple] = []  # type: ignore[type-arg]
    cols = (
        Response.unit_id,
        Response.point_id,
        Response.period_id,
        Response.policy_group,
        Response.submitted_at,
        Response.channel,
    )
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        out.extend(tuple(r) for r in db.session.execute(select(*cols).where(Response.id.in_(chunk))))
    return out


def record_responses(ids: Sequence[int]) -> None:
    """Bookkeeping of many responses inserted at once (imports, the demo): one pass over them."""
    record_rows(_key_rows(ids), +1)


def delete_responses(ids: Sequence[int]) -> int:
    """Delete responses (their answers cascade) and count them out; returns how many went."""
    rows = _key_rows(ids)
    for start in range(0, len(ids), _CHUNK):
        db.session.execute(delete(Response).where(Response.id.in_(list(ids[start : start + _CHUNK]))))
    record_rows(rows, -1)
    return len(rows)


def touch_days(keys: Iterable[DayKey], generation: bool = True) -> None:
    """Raise the data versions of the days' units (their responses' flags moved) and, with
    ``generation``, mark the days changed so that the next reader folds them."""
    days: Counter[DayKey] = Counter(dict.fromkeys(keys, 0))
    versions = Counter({(unit_id, period_key): 1 for unit_id, _p, _d, period_key, _c in days})
    _bump(versions, days if generation else Counter(), Counter())
