"""The one bridge from database rows to the interchange DataFrame (SPEC 3.5).

Views and commands never build DataFrames themselves: they call this, then `analysis`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Select, func, select

from analysis.interchange import columns, validate_frame
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Answer, Response, ServicePoint, Unit
from survey.periods import LOCAL_TZ

__all__ = ["current_unit_codes", "flag_frame", "iter_frames", "opening_hours_by_point", "responses_frame"]

META = [
    "id",
    "response_id",
    "submitted_at",
    "unit_code",
    "point_code",
    "channel",
    "weight",
    "duration_s",
    "device_hash",
    "flags",
]


def _filtered(query: Select, period_id: int | None, unit_ids: Iterable[int] | None) -> Select:
    if period_id is not None:
        query = query.where(Response.period_id == period_id)
    if unit_ids is not None:
        query = query.where(Response.unit_id.in_(list(unit_ids)))
    return query


Where = Callable[[Select], Select]


def _rows(query: Select) -> list[tuple[object, ...]]:
    """The query's rows as the database driver returns them (plain tuples).

    Millions of answer rows went through SQLAlchemy's per-row fetch at about 7 µs a row, most
    of a report's time; the driver's own ``fetchall`` is several times faster. Values are the
    driver's: on SQLite a timestamp arrives as ISO text, which pandas parses the same.
    """
    result = db.session.connection().execute(query)
    return result.cursor.fetchall() if result.cursor is not None else []  # type: ignore[attr-defined]


def _answers_wide(resp_ids: pd.Index) -> pd.DataFrame:
    """The answers of the given responses, one column per item code (read by id, through the
    answer table's response index: joining the responses made SQLite scan every answer)."""
    ins = instrument()
    ids = [int(i) for i in resp_ids]
    rows: list[tuple[object, ...]] = []
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        rows += _rows(
            select(Answer.response_id, Answer.item_code, Answer.value, Answer.text).where(
                Answer.response_id.in_(part)
            )
        )
    ans = pd.DataFrame(rows, columns=["rid", "code", "value", "text"])
    kinds = ans["code"].map({code: item.kind for code, item in ins.items.items()}).fillna("unknown")
    single = ans[kinds == "single"].pivot(index="rid", columns="code", values="value")
    multi = ans[kinds == "multi"].sort_values("value")
    multi = multi.assign(value=multi["value"].astype("Int64").astype(str)).groupby(["rid", "code"])["value"]
    multi = (
        multi.agg(";".join).unstack("code") if len(multi) else pd.DataFrame(index=pd.Index([], name="rid"))
    )
    text = ans[kinds == "text"].groupby("rid")["text"].agg(" ".join).rename("comment")
    return pd.concat([single, multi, text], axis=1).reindex(resp_ids)


def current_unit_codes() -> dict[str, str]:
    """Each unit code mapped to the code of the unit that carries it on today (successor chain)."""
    rows = db.session.execute(select(Unit.id, Unit.code, Unit.successor_id)).all()
    code = {uid: c for uid, c, _ in rows}
    successor = {uid: s for uid, _, s in rows if s is not None}
    out = {}
    for uid, c, _ in rows:
        seen = {uid}
        while uid in successor and successor[uid] not in seen:  # a cycle would be bad data: stop
            uid = successor[uid]
            seen.add(uid)
        out[c] = code[uid]
    return out


def _meta(where: Where, flags: ColumnElement[str]) -> pd.DataFrame:
    """Response columns of the interchange format (indexed by database id), oldest first."""
    query = where(
        select(
            Response.id,
            Response.public_id,
            Response.submitted_at,
            Unit.code,
            ServicePoint.code,
            Response.channel,
            Response.weight,
            Response.duration_s,
            Response.device_hash,
            flags,
        )
        .join(Unit, Response.unit_id == Unit.id)
        .outerjoin(ServicePoint, Response.point_id == ServicePoint.id)
        .order_by(Response.submitted_at, Response.id)
    )
    meta = pd.DataFrame(_rows(query), columns=META).set_index("id")
    meta["submitted_at"] = _timestamps(meta["submitted_at"]).dt.tz_localize("UTC").dt.tz_convert(LOCAL_TZ.key)
    return meta


def _timestamps(values: pd.Series) -> pd.Series:
    """Stored timestamps as naive UTC datetimes; SQLite hands them over as ISO text, with or
    without fractions of a second."""
    return pd.to_datetime(values, format="ISO8601")


def _frame(meta: pd.DataFrame) -> pd.DataFrame:
    """The validated interchange frame of ``meta``'s responses, same index."""
    wide = _answers_wide(meta.index)
    frame = pd.concat([meta, wide], axis=1)
    return validate_frame(frame.reindex(columns=columns(instrument())), instrument())


#: Responses read per query. Pivoting a chunk's answers (about 30 rows per response) at a time
#: keeps the bridge's own memory flat: 1,000,000 responses no longer build a 30-million-row
#: table at once. SQLite accepts 32,766 parameters per statement, so the id list fits.
CHUNK = 10_000


def _ordered_ids(period_id: int | None, unit_ids: list[int] | None) -> np.ndarray:
    """Ids of the selected responses in export order (submission time, then id)."""
    query = _filtered(select(Response.id).order_by(Response.submitted_at, Response.id), period_id, unit_ids)
    return np.fromiter((row[0] for row in _rows(query)), dtype=np.int64)


def iter_frames(
    period_id: int | None = None,
    unit_ids: Iterable[int] | None = None,
    attach_to_successor: bool = False,
    chunk: int | None = None,
) -> Iterator[pd.DataFrame]:
    """:func:`responses_frame` in consecutive pieces of at most ``chunk`` responses, oldest
    first: the export streams these to its file without holding every response."""
    from survey.aggregates import settle

    unit_ids = list(unit_ids) if unit_ids is not None else None
    if settle(set(unit_ids) if unit_ids is not None else None, period_id):
        db.session.commit()
    successors = current_unit_codes() if attach_to_successor else None
    ids, chunk = _ordered_ids(period_id, unit_ids), chunk or CHUNK
    for start in range(0, len(ids), chunk):
        part = [int(i) for i in ids[start : start + chunk]]
        where: Where = lambda q, part=part: q.where(Response.id.in_(part))  # noqa: E731
        meta = _meta(where, Response.flags)
        if successors is not None:
            meta["unit_code"] = meta["unit_code"].map(successors)
        yield _frame(meta).reset_index(drop=True)


def responses_frame(
    period_id: int | None = None, unit_ids: Iterable[int] | None = None, attach_to_successor: bool = False
) -> pd.DataFrame:
    """Stored responses (optionally of one period and some units) as a validated interchange frame.

    With ``attach_to_successor`` a merged unit's responses carry the code of the unit it went
    into, so reports by unit keep its history (the export keeps the codes as given). The
    ``flags`` column holds the data-quality flags as stored: the days changed since they were
    last read are settled first (survey/aggregates) and that bookkeeping is committed, like a
    cache entry — so call this outside a transaction with changes of your own.
    """
    frames = list(iter_frames(period_id, unit_ids, attach_to_successor))
    if not frames:
        empty = pd.DataFrame(columns=META).set_index("id")
        return _frame(empty).reset_index(drop=True)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def flag_frame(unit_id: int, start: datetime, end: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A unit's responses submitted in [start, end) (naive UTC), for the quality checks.

    Returns the interchange frame whose ``flags`` are those an import carried, and beside it
    (same index: database ids) the stored ``flags``, ``submitted_at`` as stored, and the day
    key columns ``point_key``, ``period_key`` and ``channel``.
    """

    def where(q: Select) -> Select:
        return q.where(
            Response.unit_id == unit_id, Response.submitted_at >= start, Response.submitted_at < end
        )

    meta = _meta(where, Response.flags_given)
    keys = pd.DataFrame(
        _rows(
            where(
                select(
                    Response.id,
                    Response.submitted_at,
                    Response.flags,
                    func.coalesce(Response.point_id, 0),
                    func.coalesce(Response.period_id, 0),
                    Response.channel,
                )
            )
        ),
        columns=["id", "submitted_at", "flags", "point_key", "period_key", "channel"],
    ).set_index("id")
    if meta.empty:
        return meta, keys
    keys = keys.reindex(meta.index)
    keys["submitted_at"] = _timestamps(keys["submitted_at"])
    return _frame(meta), keys


def opening_hours_by_point() -> dict[str, str]:
    """Opening hours of every counter, keyed ``unit_code/point_code`` as the analysis expects."""
    rows = db.session.execute(
        select(Unit.code, ServicePoint.code, ServicePoint.opening_hours).join(ServicePoint.unit)
    )
    return {f"{unit}/{point}": hours for unit, point, hours in rows if hours}
