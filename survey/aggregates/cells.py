"""Stored cell statistics: the reports' numbers without reading the responses.

Each folded day (survey/aggregates/settle.py) stores, beside the quality flags of its rows, the
sufficient statistics of its responses per quality label (:mod:`analysis.cells`, table
``response_cell``): one row per ``response_day`` row and label. They are written in the fold's
transaction from the rows and flags the fold just read, so a day's cells are exactly as current
as its flags: a new, deleted or re-flagged response raises the day's generation, and the next
reader folds the day again.

:func:`stored_cells` is the read side: it settles the scope, then adds up only the cells of the
units and period asked for, keyed as the interchange frame of ``bridge.responses_frame`` keys
the responses (``unit_code`` — the successor's with ``attach`` —, ``point_code``, ``day``,
``channel``, ``flags``), rolled up on the fly to the keys the report needs. Cells written under
another instrument layout are never read: their days are folded again first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Select, delete, func, insert, select, text, update

from analysis.cells import FLAGS_KEY, CellStats, StaleLayoutError, cell_stats
from analysis.layout import layout_of
from survey.aggregates.bookkeeping import touch_days
from survey.extensions import db
from survey.instrument import instrument
from survey.models import ServicePoint, Unit
from survey.models.aggregates import ResponseCell, ResponseDay
from survey.periods import LOCAL_TZ

__all__ = [
    "REPORT_KEYS",
    "day_scope",
    "lock_unit",
    "newest_response",
    "stale_layouts",
    "store_cells",
    "stored_cells",
]

#: The keys of the report design (counters as strata) and its trends (month, quarter).
REPORT_KEYS = ("unit_code", "point_code", "month")
#: The day keys of one unit's cells, as extra columns of the fold's frame.
_DAY_COLS = ("point_key", "period_key", "channel", "day")
#: Settling rounds at most: a burst found on one day can flag rows of the day before.
_ROUNDS = 4


def _layout_tag() -> str:
    return layout_of(instrument()).fingerprint.hex()


#: The first key of the fold's advisory locks (PostgreSQL), the unit id being the second.
_FOLD_LOCK = 5151


def lock_unit(unit_id: int) -> None:
    """Take the unit's fold lock until the transaction ends (PostgreSQL; SQLite serialises
    writers itself). Two folds of one unit at once (a reader and ``sipas refresh``) take turns,
    the second reading the first's committed rows, so neither leaves cells the other replaced;
    the write path never takes it, so a submission never waits for a fold."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _FOLD_LOCK, "b": unit_id})


def _day_ids(unit_id: int, days: list[date]) -> dict[tuple[str, ...], int]:
    """The ids of one unit's day rows on ``days``, keyed like the fold's cells."""
    rows = db.session.execute(
        select(
            ResponseDay.id,
            ResponseDay.point_key,
            ResponseDay.day,
            ResponseDay.period_key,
            ResponseDay.channel,
        ).where(ResponseDay.unit_id == unit_id, ResponseDay.day.in_(days))
    ).all()
    return {(str(p), str(q), str(c), d.isoformat()): int(i) for i, p, d, q, c in rows}


def store_cells(
    unit_id: int, days: list[date], frame: pd.DataFrame, keys: pd.DataFrame, flags: np.ndarray
) -> None:
    """Replace the cells of one unit's ``days`` by those of its rows among ``frame`` (the fold's
    interchange frame; ``keys`` beside it as ``bridge.flag_frame`` gives them) under the quality
    labels ``flags`` (one per row, as now stored)."""
    day_ids = _day_ids(unit_id, days)
    if day_ids:
        db.session.execute(delete(ResponseCell).where(ResponseCell.day_id.in_(sorted(day_ids.values()))))
    if frame.empty:
        return
    at = keys["submitted_at"]
    local = at.dt.tz_localize("UTC").dt.tz_convert(LOCAL_TZ.key).dt.strftime("%Y-%m-%d").to_numpy()
    inside = np.isin(local, [d.isoformat() for d in days])
    if not inside.any():
        return
    part = frame[inside].assign(
        point_key=keys["point_key"].to_numpy()[inside],
        period_key=keys["period_key"].to_numpy()[inside],
        day=local[inside],
    )
    labels = pd.Series(np.asarray(flags, dtype=object)[inside], index=part.index, dtype="str")
    cells = cell_stats(part, instrument(), keys=list(_DAY_COLS), weight="weight", flags=labels)
    newest = (
        pd.DataFrame(
            {
                **{name: part[name].astype("str").to_numpy() for name in _DAY_COLS},
                "flags": labels.to_numpy(),
                "at": at.to_numpy()[inside],
            }
        )
        .groupby([*_DAY_COLS, "flags"])["at"]
        .max()
    )
    records = list(cells.records())
    missing = {tuple(key[name] for name in _DAY_COLS) for key, _ in records} - set(day_ids)
    if missing:
        # Rows changed outside the write path (e.g. moved to another period by hand): the
        # day rows of their keys are made, dirty, so that the counts follow at the next fold.
        touch_days([(unit_id, int(p), date.fromisoformat(d), int(q), c) for p, q, c, d in missing])
        day_ids = _day_ids(unit_id, days)
    tag = _layout_tag()
    out = []
    for key, data in records:
        day_id = day_ids[tuple(key[name] for name in _DAY_COLS)]
        stamp = pd.Timestamp(newest[tuple(key[name] for name in (*_DAY_COLS, "flags"))])
        out.append(
            {
                "day_id": day_id,
                "flags": key["flags"],
                "layout": tag,
                "responses": 0,
                "newest": stamp.to_pydatetime(),
                "stats": data,
            }
        )
    for row, n in zip(out, cells.stats[:, 0], strict=True):
        row["responses"] = int(round(n))
    db.session.execute(insert(ResponseCell), out)


def day_scope(query: Select, unit_ids: set[int] | None, period_id: int | None) -> Select:
    """``query`` on response days narrowed to some units (None: all) and a period (None: all)."""
    if unit_ids is not None:
        query = query.where(ResponseDay.unit_id.in_(sorted(unit_ids)))
    if period_id is not None:
        query = query.where(ResponseDay.period_key == period_id)
    return query


def stale_layouts(unit_ids: set[int] | None = None, period_id: int | None = None) -> int:
    """Mark dirty every day in scope whose cells were made under another instrument layout, so
    the next fold recomputes them; returns how many days."""
    return _refold(unit_ids, period_id, stale_only=True)


def _refold(unit_ids: set[int] | None, period_id: int | None, stale_only: bool) -> int:
    """Mark dirty the days in scope whose cells were made under another layout (all days in
    scope with cells, unless ``stale_only``); returns how many."""
    query = select(ResponseCell.day_id).join(ResponseDay, ResponseCell.day_id == ResponseDay.id)
    if stale_only:
        query = query.where(ResponseCell.layout != _layout_tag())
    ids = sorted(set(db.session.scalars(day_scope(query, unit_ids, period_id))))
    for start in range(0, len(ids), 500):
        db.session.execute(
            update(ResponseDay)
            .where(ResponseDay.id.in_(ids[start : start + 500]))
            .values(generation=ResponseDay.generation + 1)
        )
    return len(ids)


def _settled(unit_ids: set[int] | None, period_id: int | None) -> None:
    """Fold every changed day in scope, until a fold changes no other day's flags; days whose
    cells have another layout are folded too. Commits the bookkeeping if anything was folded."""
    from survey.aggregates.settle import settle

    folded = _refold(unit_ids, period_id, stale_only=True)
    for _ in range(_ROUNDS):
        done = settle(unit_ids, period_id)
        folded += done
        if not done:
            break
    if folded:
        db.session.commit()


def _codes(attach: bool, codes: Mapping[int, str] | None) -> dict[int, str]:
    """Unit id → the code its cells are reported under."""
    rows = db.session.execute(select(Unit.id, Unit.code, Unit.successor_id)).all()
    own = {uid: code for uid, code, _ in rows}
    if codes is not None:
        return {**own, **codes}
    if not attach:
        return own
    successor = {uid: s for uid, _, s in rows if s is not None}
    out = {}
    for uid in own:
        seen, at = {uid}, uid
        while at in successor and successor[at] not in seen:  # a cycle would be bad data: stop
            at = successor[at]
            seen.add(at)
        out[uid] = own[at]
    return out


def _records(
    unit_ids: set[int] | None, period_id: int | None, unit_code: Mapping[int, str]
) -> Iterator[tuple[dict[str, str], bytes]]:
    points = dict(db.session.execute(select(ServicePoint.id, ServicePoint.code)).all())
    query = day_scope(
        select(
            ResponseDay.unit_id,
            ResponseDay.point_key,
            ResponseDay.day,
            ResponseDay.channel,
            ResponseCell.flags,
            ResponseCell.stats,
        ).join(ResponseDay, ResponseCell.day_id == ResponseDay.id),
        unit_ids,
        period_id,
    )
    for unit_id, point_key, day, channel, flags, data in db.session.execute(query).yield_per(5000):
        # The period keys are given as text here: deriving them per record costs more than
        # decoding the record.
        key = {
            "unit_code": unit_code[unit_id],
            "point_code": points.get(point_key, "") or "",
            "day": day.isoformat(),
            "month": f"{day.year}-{day.month:02d}",
            "quarter": f"{day.year}-Q{(day.month + 2) // 3}",
            "channel": channel,
            "flags": flags,
        }
        yield key, bytes(data)


def stored_cells(
    period_id: int | None,
    unit_ids: Iterable[int] | None,
    attach: bool = True,
    keys: Sequence[str] = REPORT_KEYS,
    codes: Mapping[int, str] | None = None,
) -> CellStats:
    """The cells of the responses of a period (None: all) and units (None: all), summed to
    ``keys`` (any of ``unit_code``, ``point_code``, ``day``, ``month``, ``quarter``,
    ``channel``; ``flags`` is always kept).

    ``unit_code`` is the unit's own code, or with ``attach`` the code of the unit that carries
    it on today (as ``responses_frame(..., attach_to_successor=True)``); ``codes`` (unit id →
    code) overrides both. The days changed since they were last read are settled first and
    that bookkeeping is committed, as ``responses_frame`` does.
    """
    scope = set(unit_ids) if unit_ids is not None else None
    _settled(scope, period_id)
    unit_code = _codes(attach, codes)
    try:
        cells = CellStats.from_records(_records(scope, period_id, unit_code), instrument(), rollup=keys)
    except StaleLayoutError:
        # Bytes of another layout under a current tag: fold every day in scope again.
        _refold(scope, period_id, stale_only=False)
        _settled(scope, period_id)
        cells = CellStats.from_records(_records(scope, period_id, unit_code), instrument(), rollup=keys)
    if len(cells) == 0:  # no cell: still the key columns a computation asks for
        names = list(dict.fromkeys([*keys, FLAGS_KEY]))
        return CellStats(cells.layout, pd.DataFrame(columns=names, dtype=object), cells.stats)
    return cells


def newest_response(period_id: int | None, unit_ids: Iterable[int] | None) -> datetime | None:
    """The local time of the newest response among the stored cells in scope (None: none)."""
    scope = set(unit_ids) if unit_ids is not None else None
    query = day_scope(
        select(func.max(ResponseCell.newest)).join(ResponseDay, ResponseCell.day_id == ResponseDay.id),
        scope,
        period_id,
    )
    newest = db.session.scalar(query)
    if newest is None:
        return None
    if isinstance(newest, str):  # SQLite may hand over an aggregate's timestamp as text
        newest = datetime.fromisoformat(newest)
    return newest.replace(tzinfo=UTC).astimezone(LOCAL_TZ)
