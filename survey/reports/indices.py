"""The indices behind the officials' reports, the API and the exports: bridge → analysis → cache.

Computing the indices of 100,000 responses takes seconds; a report page must render in
300 ms (SPEC §4). So a report's index JSON is computed once and kept in ``report_cache``,
keyed by the units it covers, a data version (survey/aggregates: counters per unit and period
that every change to their responses raises) and the instrument: a new or deleted response
changes the version, and the next view recomputes. A unit report also depends on the
province's data version: the 'improve first' importances of a unit with fewer than 100
responses come from the province's responses (METHOD §4). Views call this module and
survey/reports/payloads.py; they never build DataFrames.

Reports, the API and the exports' index tables read stored cell statistics (:func:`load_cells`
→ :func:`compute_cells`): sums per counter, day and quality label that the bookkeeping keeps
beside the responses (survey/aggregates/cells.py), so a report costs the cells of its scope,
not its responses. :func:`load` (rows) and :func:`compute` remain for what needs the
responses themselves: :func:`compare_ranges` (the change between two date ranges is a joint
linearisation over the responses of both ranges, which per-range cells do not carry).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from analysis import (
    COUNTER_STRATA,
    CellStats,
    Contrast,
    IndexResult,
    compare_domains,
    compute_from_cells,
    compute_indices,
    counter_design,
    period_mask,
)
from analysis.serialise import estimate_dict
from survey.aggregates import data_version, newest_response, stored_cells
from survey.auth.access import family_ids
from survey.bridge import responses_frame
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Period, ReportCache, Unit, utcnow

__all__ = [
    "BY",
    "cached",
    "compare_ranges",
    "day_cells",
    "comparison_dict",
    "compute",
    "compute_cells",
    "default_period",
    "load",
    "load_cells",
    "newest",
    "province_importance",
    "province_result",
    "province_version",
    "unit_result",
]

# The groupings of `sipas compute --by` (and the API's `by`), as analysis column names.
BY: dict[str, tuple[str, ...]] = {
    "unit": ("unit_code",),
    "point": ("unit_code", "point_code"),
    "month": ("month",),
    "quarter": ("quarter",),
}


def load(period: Period | None, unit_ids: set[int] | None = None, attach: bool = True) -> pd.DataFrame:
    """The responses of a period (None: every period) and units (None: all); with ``attach``
    a merged unit's responses carry the code of the unit that carries it on today."""
    return responses_frame(_period_id(period), unit_ids, attach_to_successor=attach)


def compute(frame: pd.DataFrame, by: str | None, importance_from: pd.DataFrame | None = None) -> IndexResult:
    """The indices of an interchange frame with the settings of `sipas compute` (flagged left out).

    ``importance_from`` (the province's responses) gives the 'improve first' importances of any
    unit with fewer than 100 responses (METHOD §4); without it, the frame itself does.
    """
    return compute_indices(
        frame,
        instrument(),
        by=list(BY[by]) if by else None,
        weight="weight",
        importance_from=importance_from,
        **counter_design(),  # counters as strata: a unit's numbers come from its own counters
    )


def load_cells(
    period: Period | None,
    unit_ids: set[int] | None = None,
    attach: bool = True,
    keys: tuple[str, ...] = (*COUNTER_STRATA, "month"),
    codes: dict[int, str] | None = None,
) -> CellStats:
    """The stored cells of a period's (None: every period) responses of some units (None: all),
    keyed like :func:`load`'s frame (``unit_code`` of the successor with ``attach``, or from
    ``codes``: unit id → code), summed to ``keys``."""
    return stored_cells(_period_id(period), unit_ids, attach=attach, keys=keys, codes=codes)


def province_importance(period: Period | None) -> CellStats:
    """The province's cells summed to their quality labels: the 'improve first' importances of
    units with fewer than 100 responses (METHOD §4)."""
    return load_cells(period, keys=())


def compute_cells(cells: CellStats, by: str | None, importance_from: CellStats | None = None) -> IndexResult:
    """:func:`compute` of the responses behind ``cells``: the same numbers (to rounding), from the
    stored sums instead of the rows."""
    by_cols = list(BY[by]) if by else []
    needed = list(dict.fromkeys([*by_cols, *COUNTER_STRATA]))
    if set(cells.key_names) != {*needed, "flags"}:
        cells = cells.rollup(needed)
    return compute_from_cells(
        cells,
        instrument(),
        by=by_cols or None,
        importance_from=importance_from,
        weight="weight",  # the cells sum the responses' weights, as the rows' computation does
        **counter_design(),  # counters as strata: a unit's numbers come from its own counters
    )


def newest(period: Period | None, unit_ids: set[int] | None = None) -> str | None:
    """The local time of the newest response of the units in the period, or None without any."""
    at = newest_response(_period_id(period), unit_ids)
    return None if at is None else at.strftime("%Y-%m-%d %H:%M")


def unit_result(unit: Unit, period: Period | None) -> IndexResult:
    """A unit's indices by unit over its subtree and history: `sipas compute --unit --by unit`."""
    return compute_cells(load_cells(period, family_ids({unit.id})), "unit", province_importance(period))


def province_result(period: Period | None) -> IndexResult:
    """Every unit's indices and the province's: `sipas compute --by unit --period P`."""
    return compute_cells(load_cells(period), "unit")


def day_cells(unit_ids: set[int]) -> CellStats:
    """The stored cells of some units over every period, by counter and day: what
    :func:`compare_ranges` needs for any two date ranges."""
    return load_cells(None, unit_ids, keys=(*COUNTER_STRATA, "day"))


def compare_ranges(
    data: pd.DataFrame | CellStats, before: tuple[date, date], after: tuple[date, date], codes: Iterable[str]
) -> Contrast:
    """Criteria (item or element codes) over two date ranges (ends included) of one unit's
    responses, or of their cells by day (:func:`day_cells`, the same numbers without reading
    a row): each range is a domain of the report's design (counters as strata), and the change
    after − before has its SE by joint linearisation, a t interval and p (R ``svyby`` +
    ``svycontrast``; :func:`analysis.compare_domains`). ``contrast[code].a`` is after,
    ``.b`` before."""
    return compare_domains(
        data,
        instrument(),
        period_mask(data, *after),
        period_mask(data, *before),
        estimates=list(codes),
        weight=None if isinstance(data, CellStats) else "weight",  # cells hold their weights
        **counter_design(),
    )


def comparison_dict(contrast: Contrast, code: str) -> dict[str, Any]:
    """One code of a comparison as JSON: both sides (SPEC 3.6 estimates) and the change."""
    c = contrast[code]
    return {
        "code": code,
        "before": estimate_dict(c.b),
        "after": estimate_dict(c.a),
        "change": {
            "diff_pp": c.diff,
            "se": c.se,
            "df": c.df,
            "ci_low": c.ci_low,
            "ci_high": c.ci_high,
            "p_value": c.p_value,
            "flags": list(c.flags),
        },
    }


def default_period() -> Period | None:
    """The period a report opens on: the open one (the latest if several), else none (all data)."""
    return db.session.scalars(
        select(Period).where(Period.is_open.is_(True)).order_by(Period.starts_on.desc(), Period.id.desc())
    ).first()


def _period_id(period: Period | None) -> int | None:
    return None if period is None else period.id


def _version(unit_ids: set[int] | None, period_id: int | None) -> str:
    """The data version of the selected responses: raised by any insert, delete or flag change,
    read from one counter per unit and period (survey/aggregates), never from the responses."""
    return data_version(unit_ids, period_id)


def province_version(period_id: int | None) -> str:
    """The data version of every response of the period (the province-wide importances)."""
    return _version(None, period_id)


def _family_key(unit_ids: set[int] | None, salt: str) -> str:
    ids = "*" if unit_ids is None else ",".join(map(str, sorted(unit_ids)))
    return hashlib.sha256(f"{ids}|{salt}".encode()).hexdigest()


#: Decoded payloads of this process, by scope and everything that makes a row current: decoding
#: a province payload costs ~15 ms, a third of a warm page. Shared: callers only read them.
_decoded: OrderedDict[tuple[object, ...], dict[str, Any]] = OrderedDict()
_DECODED_MAX = 16


def _remember(key: tuple[object, ...], payload: dict[str, Any]) -> dict[str, Any]:
    _decoded[key] = payload
    while len(_decoded) > _DECODED_MAX:
        _decoded.popitem(last=False)
    return payload


def cached(
    scope: str,
    unit_ids: set[int] | None,
    period_id: int | None,
    make: Callable[[], dict[str, Any]],
    salt: str = "",
) -> dict[str, Any]:
    """The stored payload of ``scope`` while its units, data version and instrument still match;
    otherwise ``make()`` it, store it and return it. ``salt`` adds whatever else the payload
    depends on (e.g. names it copied), so that a change to it also makes the row stale.

    The row is committed here, apart from the request's own work: a cache entry is not part of
    any change a user makes. Two requests computing the same scope at once both render; the
    second store loses the unique-scope race and is dropped.
    """
    family, version, ins = _family_key(unit_ids, salt), _version(unit_ids, period_id), instrument().id
    columns = (ReportCache.family, ReportCache.version, ReportCache.instrument, ReportCache.computed_at)
    stamp = db.session.execute(select(*columns).where(ReportCache.scope == scope)).first()
    if stamp is not None and tuple(stamp[:3]) == (family, version, ins):
        key = (scope, family, version, ins, stamp[3])
        payload = _decoded.get(key)
        if payload is None:
            text = db.session.scalar(select(ReportCache.payload).where(ReportCache.scope == scope))
            payload = _remember(key, json.loads(text))
        return payload
    row = db.session.scalar(select(ReportCache).where(ReportCache.scope == scope))
    payload = make()
    if row is None:
        row = ReportCache(scope=scope)
        db.session.add(row)
    row.family, row.version, row.instrument = family, version, ins
    row.payload, row.computed_at = json.dumps(payload, ensure_ascii=False), utcnow()
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return payload
