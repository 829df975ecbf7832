"""The indices behind the officials' reports and the API: bridge → analysis → report_cache.

Computing the indices of 100,000 responses takes seconds; a report page must render in
300 ms (SPEC §4). So a report's index JSON is computed once and kept in ``report_cache``,
keyed by the units it covers, a data version (count and largest id of their responses in the
period) and the instrument: a new or deleted response changes the version, and the next view
recomputes. A unit report also depends on the province's data version: the 'improve first'
importances of a unit with fewer than 100 responses come from the province's responses
(METHOD §4). Views call this module; they never build DataFrames.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from analysis import IndexResult, compute_indices, to_json_dict
from survey.auth.access import family_ids
from survey.bridge import responses_frame
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Period, ReportCache, Response, Unit, utcnow
from survey.periods import local_today

__all__ = ["BY", "cached", "compute", "default_period", "unit_report", "unit_result"]

# The groupings of `sipas compute --by` (and the API's `by`), as analysis column names.
BY: dict[str, tuple[str, ...]] = {
    "unit": ("unit_code",),
    "point": ("unit_code", "point_code"),
    "month": ("month",),
    "quarter": ("quarter",),
}
_TREND_FIELDS = ("key", "n", "sipas", "policy", "service", "flags")


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
    )


def unit_result(unit: Unit, period: Period | None) -> IndexResult:
    """A unit's indices by unit over its subtree and history: `sipas compute --unit --by unit`."""
    frame = responses_frame(_period_id(period), family_ids({unit.id}), attach_to_successor=True)
    return compute(frame, "unit", _province(period))


def _province(period: Period | None) -> pd.DataFrame:
    """Every unit's responses of the period, as the province-wide `sipas compute` reads them."""
    return responses_frame(_period_id(period), attach_to_successor=True)


def default_period() -> Period | None:
    """The period a report opens on: the open one (the latest if several), else none (all data)."""
    return db.session.scalars(
        select(Period).where(Period.is_open.is_(True)).order_by(Period.starts_on.desc(), Period.id.desc())
    ).first()


def _period_id(period: Period | None) -> int | None:
    return None if period is None else period.id


def _version(unit_ids: set[int] | None, period_id: int | None) -> str:
    """``count:max(id)`` of the selected responses: cheap, and changed by any insert or delete."""
    query = select(func.count(Response.id), func.max(Response.id))
    if period_id is not None:
        query = query.where(Response.period_id == period_id)
    if unit_ids is not None:
        query = query.where(Response.unit_id.in_(sorted(unit_ids)))
    count, largest = db.session.execute(query).one()
    return f"{count}:{largest or 0}"


def province_version(period_id: int | None) -> str:
    """The data version of every response of the period (the province-wide importances)."""
    return _version(None, period_id)


def _family_key(unit_ids: set[int] | None, salt: str) -> str:
    ids = "*" if unit_ids is None else ",".join(map(str, sorted(unit_ids)))
    return hashlib.sha256(f"{ids}|{salt}".encode()).hexdigest()


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
    row = db.session.scalar(select(ReportCache).where(ReportCache.scope == scope))
    if row is not None and (row.family, row.version, row.instrument) == (family, version, ins):
        return json.loads(row.payload)
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


def _peers(unit: Unit) -> list[Unit]:
    """Units of the same kind under the same parent that exist today, the unit itself included."""
    if unit.parent_id is None or unit.successor_id is not None:
        return [unit]
    today = local_today()
    query = select(Unit).where(
        Unit.parent_id == unit.parent_id,
        Unit.kind == unit.kind,
        Unit.successor_id.is_(None),
        or_(Unit.valid_to.is_(None), Unit.valid_to >= today),
        or_(Unit.valid_from.is_(None), Unit.valid_from <= today),
    )
    peers = list(db.session.scalars(query))
    return peers if unit in peers else [*peers, unit]


def unit_report(unit: Unit, period: Period | None) -> dict[str, Any]:
    """Everything the unit page shows, from the cache when current (see the module docstring)."""
    family = family_ids({unit.id})
    peers = _peers(unit)
    covered = family | (family_ids({p.id for p in peers}) if len(peers) > 1 else set())
    scope = f"report:{unit.id}:{_period_id(period) or 'all'}"
    # A small unit's priorities use the province's responses, so any response makes it stale.
    province = f"province:{province_version(_period_id(period))}"
    return cached(
        scope, covered, _period_id(period), lambda: _report_payload(unit, period, family, peers), province
    )


def _report_payload(unit: Unit, period: Period | None, family: set[int], peers: list[Unit]) -> dict[str, Any]:
    frame = responses_frame(_period_id(period), family, attach_to_successor=True)
    return {
        "indices": to_json_dict(compute(frame, "unit", _province(period))),
        "month": _trend(frame, "month"),
        "quarter": _trend(frame, "quarter"),
        "rank": _peer_rank(unit, period, peers),
        "computed_at": utcnow().isoformat(timespec="seconds") + "Z",
    }


def _trend(frame: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    """SIPAS and sub-indices per month or quarter (each from its own responses), oldest first."""
    groups = to_json_dict(compute(frame, by))["groups"][1:]
    return [{name: g[name] for name in _TREND_FIELDS} | {"label": g["key"][by]} for g in groups]


def _peer_rank(unit: Unit, period: Period | None, peers: list[Unit]) -> dict[str, Any] | None:
    """The unit's SIPAS rank range among its peers, each peer counting its subtree and history.

    Only the rank leaves this function: a viewer may not see other units' figures.
    """
    if len(peers) < 2:
        return None
    owner = _peer_of(peers)
    frame = responses_frame(_period_id(period), set(owner))
    codes = dict(db.session.execute(select(Unit.code, Unit.id).where(Unit.id.in_(owner))).all())
    frame = frame.assign(unit_code=frame["unit_code"].map({c: owner[i] for c, i in codes.items()}))
    result = compute(frame, "unit")
    try:
        rank = result.group(unit_code=unit.code).rank
    except KeyError:  # no response of this unit in the period
        rank = None
    out = {"peers": len(peers), "rank": None, "best": None, "worst": None, "of": None}
    if rank is not None:
        out |= {"rank": rank.rank, "best": rank.best, "worst": rank.worst, "of": rank.of}
    return out


def _peer_of(peers: Iterable[Unit]) -> dict[int, str]:
    """Unit id → code of the peer whose report counts it."""
    return {uid: peer.code for peer in peers for uid in family_ids({peer.id})}
