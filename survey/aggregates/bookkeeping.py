"""The write side: counters raised (or lowered) in the transaction that changes responses.

Each change is an upsert (``INSERT … ON CONFLICT DO UPDATE``), so two submissions at one
counter never race to create the same row, and the submit path costs three small statements
whatever the number of stored responses.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from survey.extensions import db
from survey.models import Response
from survey.models.aggregates import DataVersion, ResponseDay, RotationCount
from survey.periods import LOCAL_TZ

__all__ = ["delete_responses", "local_day", "rebuild", "record_response", "record_responses", "touch_days"]

#: (unit_id, point_key, day, period_key, channel): the key of a ``response_day`` row.
DayKey = tuple[int, int, date, int, str]
_CHUNK = 500  # ids per IN (…) list


def local_day(submitted_at: datetime) -> date:
    """The day in Vietnam of a stored (naive UTC) timestamp."""
    return submitted_at.replace(tzinfo=UTC).astimezone(LOCAL_TZ).date()


@functools.cache
def _upsert(model: type, dialect: str, keys: tuple[str, ...], add: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """``INSERT keys+add ON CONFLICT (keys) DO UPDATE SET col = col + excluded.col``.

    Built once per table and dialect with bound parameters: constructing the statement
    anew on every submit cost more than executing it.
    """
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__  # type: ignore[attr-defined]
    stmt = make(table).values({c: bindparam(c) for c in (*keys, *add)})
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: table.c[c] + stmt.excluded[c] for c in add}
    )


def _execute(model: type, keys: tuple[str, ...], add: tuple[str, ...], rows: list[dict[str, object]]) -> None:
    if rows:
        # On the session's connection (its transaction), past the ORM's statement handling,
        # which a Core upsert does not need; _bump flushed the session first.
        connection = db.session.connection()
        connection.execute(_upsert(model, connection.dialect.name, keys, add), rows)


_DAY_KEYS = ("unit_id", "point_key", "day", "period_key", "channel")


def _bump(versions: Counter[tuple[int, int]], days: Counter[DayKey], rotation: Counter) -> None:  # type: ignore[type-arg]
    """Apply counted changes: versions +1 per changed unit/period, day generations and counts.

    Rows go in key order, so two transactions never wait for each other's rows in a cycle.
    """
    db.session.flush()  # what the session holds goes first, as session.execute would do
    _execute(
        DataVersion,
        ("unit_id", "period_key"),
        ("version",),
        [{"unit_id": u, "period_key": p, "version": 1} for u, p in sorted(versions)],
    )
    _execute(
        ResponseDay,
        _DAY_KEYS,
        ("generation", "responses"),
        [
            dict(zip(_DAY_KEYS, key, strict=True)) | {"generation": 1, "responses": n}
            for key, n in sorted(days.items())
        ],
    )
    _execute(
        RotationCount,
        ("point_id", "period_id", "policy_group"),
        ("responses",),
        [
            {"point_id": p, "period_id": q, "policy_group": g, "responses": n}
            for (p, q, g), n in sorted(rotation.items())
        ],
    )


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


def rebuild() -> int:
    """Count every stored response again from scratch (after a bulk load outside the app, or to
    repair): versions raised, rotation and day counts recounted, every day to be folded."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        day = "CAST(submitted_at + INTERVAL '7 hours' AS DATE)"
    else:
        day = "date(submitted_at, '+7 hours')"  # Vietnam has kept UTC+7 since 1975, no DST
    keys = f"unit_id, COALESCE(point_id, 0), {day}, COALESCE(period_id, 0), channel"
    # Only the two fixed day expressions above are put into the text: no input reaches it.
    days = (
        "INSERT INTO response_day (unit_id, point_key, day, period_key, channel, generation, folded, "  # noqa: S608
        f"rules, responses) SELECT {keys}, 1, 0, '', COUNT(*) FROM response GROUP BY {keys}"
    )
    statements = (
        "DELETE FROM rotation_count",
        "DELETE FROM response_cell",
        "DELETE FROM response_day",
        "INSERT INTO data_version (unit_id, period_key, version) "
        "SELECT DISTINCT unit_id, COALESCE(period_id, 0), 0 FROM response r WHERE NOT EXISTS "
        "(SELECT 1 FROM data_version v "
        "WHERE v.unit_id = r.unit_id AND v.period_key = COALESCE(r.period_id, 0))",
        "UPDATE data_version SET version = version + 1",
        "INSERT INTO rotation_count (point_id, period_id, policy_group, responses) "
        "SELECT point_id, period_id, COALESCE(policy_group, ''), COUNT(*) FROM response "
        "WHERE point_id IS NOT NULL AND period_id IS NOT NULL "
        "GROUP BY point_id, period_id, COALESCE(policy_group, '')",
        days,
    )
    for statement in statements:
        db.session.execute(text(statement))
    return int(db.session.scalar(select(func.count()).select_from(ResponseDay)) or 0)
