"""The read side's first step: fold the days changed since they were last read.

Computing the quality flags (METHOD §4) of one response through ``analysis.quality`` costs
about 10 ms of pandas set-up — twice the budget of a whole survey cycle — while a batch of a
thousand costs hardly more. So the write path only marks the response's day (see
bookkeeping.py) and the flags are stored here, in batches, before anything reads them:
reports, the export, ``sipas compute`` and ``sipas refresh`` all call :func:`settle`.

A burst (five answers from one phone at one counter within ten minutes) flags earlier
responses too, possibly on the day before: the rows are read with a margin of two burst
windows, only rows whose whole window was read are judged, and a changed row outside the
days being folded marks its own day changed again.
"""

from __future__ import annotations

import hashlib
import inspect
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, select, update

import analysis.hours
import analysis.quality
from analysis.quality import flag_responses
from survey import bridge
from survey.aggregates.bookkeeping import DayKey, local_day, touch_days
from survey.aggregates.cells import day_scope, lock_unit, store_cells
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Response, utcnow
from survey.models.aggregates import ResponseDay
from survey.periods import LOCAL_TZ

__all__ = ["rules_fingerprint", "settle"]

#: Days read together at most (bounds the memory of a fold after a bulk import).
SPAN_DAYS = 31
_WINDOW = getattr(analysis.quality, "BURST_WINDOW", pd.Timedelta(minutes=10)).to_pytimedelta()


def rules_fingerprint() -> str:
    """A short hash of the quality rules' source: stored flags from other rules are stale."""
    source = inspect.getsource(analysis.quality) + inspect.getsource(analysis.hours)
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def settle(
    unit_ids: set[int] | None = None, period_id: int | None = None, *, stale_rules: bool = False
) -> int:
    """Store the quality flags of every changed day in scope; returns how many days were folded.

    With ``stale_rules`` days folded under other quality rules are folded again too (``sipas
    refresh``). The work is flushed in the caller's transaction.
    """
    fresh: ColumnElement[bool] = ResponseDay.folded < ResponseDay.generation
    dirty = fresh | (ResponseDay.rules != rules_fingerprint()) if stale_rules else fresh
    cols = (ResponseDay.id, ResponseDay.generation, fresh, *KEY)
    query = day_scope(select(*cols).where(dirty), unit_ids, period_id)
    rows = [tuple(r) for r in db.session.execute(query.order_by(ResponseDay.unit_id, ResponseDay.day))]
    if not rows:
        return 0
    keys = {r[3:]: bool(r[2]) for r in rows}
    changed: set[DayKey] = set()
    for unit_id, unit_rows in groupby(rows, key=lambda r: r[3]):
        for batch in _batches(sorted({r[5] for r in unit_rows})):
            changed |= _fold(unit_id, batch)
    _mark_folded(rows)
    # Changed rows of a day outside this fold: read again; of a day folded for its rules only:
    # its units' reports are stale.
    touch_days([k for k in changed if k not in keys])
    touch_days([k for k in changed if k in keys and not keys[k]], generation=False)
    return len(rows)


KEY = (
    ResponseDay.unit_id,
    ResponseDay.point_key,
    ResponseDay.day,
    ResponseDay.period_key,
    ResponseDay.channel,
)


def _batches(days: list[date]) -> list[list[date]]:
    out: list[list[date]] = []
    for day in days:
        if out and (day - out[-1][0]).days < SPAN_DAYS:
            out[-1].append(day)
        else:
            out.append([day])
    return out


def _naive_utc(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(tzinfo=None)


def _bounds(days: list[date]) -> tuple[datetime, datetime]:
    """Local midnight before the first day and after the last, as stored (naive UTC)."""
    start = datetime.combine(min(days), time(), tzinfo=LOCAL_TZ)
    end = datetime.combine(max(days) + timedelta(days=1), time(), tzinfo=LOCAL_TZ)
    return _naive_utc(start), _naive_utc(end)


def _fold(unit_id: int, days: list[date]) -> set[DayKey]:
    """Recompute the flags of one unit's rows around ``days``; store those that changed, store
    the cell statistics of ``days`` and return the day keys of the changed rows."""
    start, end = _bounds(days)
    margin = 2 * _WINDOW
    lock_unit(unit_id)
    frame, keys = bridge.flag_frame(unit_id, start - margin, end + margin)
    if frame.empty:
        store_cells(unit_id, days, frame, keys, np.array([], dtype=object))
        return set()
    found = flag_responses(frame, instrument(), bridge.opening_hours_by_point()).to_numpy()
    at = keys["submitted_at"]
    # Only rows whose whole burst window was read are judged.
    judged = ((at >= start - margin + _WINDOW) & (at < end + margin - _WINDOW)).to_numpy()
    changed = judged & (found != keys["flags"].to_numpy())
    store_cells(unit_id, days, frame, keys, np.where(judged, found, keys["flags"].to_numpy()))
    if not changed.any():
        return set()
    ids, values = keys.index[changed], found[changed]
    db.session.execute(
        update(Response), [{"id": int(i), "flags": str(f)} for i, f in zip(ids, values, strict=True)]
    )
    moved = keys[changed]
    return {
        (unit_id, int(p), local_day(t), int(q), str(c))
        for t, p, q, c in zip(
            moved["submitted_at"], moved["point_key"], moved["period_key"], moved["channel"], strict=True
        )
    }


def _mark_folded(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    """Each day is folded up to the generation read before its rows were: a response stored
    meanwhile raised the generation, so its day stays dirty."""
    rules, now = rules_fingerprint(), utcnow()
    db.session.execute(
        update(ResponseDay),
        [{"id": r[0], "folded": r[1], "rules": rules, "folded_at": now} for r in rows],
    )
