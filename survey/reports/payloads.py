"""What a unit report and the province overview show, computed once and kept in report_cache.

Each payload is plain JSON (the index JSON of SPEC 3.6 and a few tables beside it), so a warm
page renders without touching responses. Only ranks leave a peer comparison: a viewer may not
see other units' figures.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from analysis import CellStats, to_json_dict
from survey.auth.access import family_ids
from survey.extensions import db
from survey.models import Period, ResponseDay, ServicePoint, Unit, utcnow
from survey.periods import local_today
from survey.reports import indices

__all__ = ["SILENT_DAYS", "WEEKS_SHOWN", "province_report", "silent_points", "unit_report"]

WEEKS_SHOWN = 8  # response counts per counter and week, newest week last
SILENT_DAYS = 7  # a counter without a response for this long is listed as silent
_TREND_FIELDS = ("key", "n", "sipas", "policy", "service", "elements", "items", "flags")


def _pid(period: Period | None) -> int | None:
    return None if period is None else period.id


def _current(query):  # type: ignore[no-untyped-def]
    """Units that exist today: not merged away, inside their validity dates."""
    today = local_today()
    return query.where(
        Unit.successor_id.is_(None),
        or_(Unit.valid_to.is_(None), Unit.valid_to >= today),
        or_(Unit.valid_from.is_(None), Unit.valid_from <= today),
    )


def _peers(unit: Unit) -> list[Unit]:
    """Units of the same kind under the same parent that exist today, the unit itself included."""
    if unit.parent_id is None or unit.successor_id is not None:
        return [unit]
    query = _current(select(Unit).where(Unit.parent_id == unit.parent_id, Unit.kind == unit.kind))
    peers = list(db.session.scalars(query))
    return peers if unit in peers else [*peers, unit]


def unit_report(unit: Unit, period: Period | None) -> dict[str, Any]:
    """Everything the unit page shows, from the cache while current (survey/reports/indices.py)."""
    family = family_ids({unit.id})
    peers = _peers(unit)
    covered = family | (family_ids({p.id for p in peers}) if len(peers) > 1 else set())
    scope = f"report:{unit.id}:{_pid(period) or 'all'}"
    # A small unit's priorities use the province's responses, so any response makes it stale;
    # the counters' names and the day (the weekly counts end today) are copied into it too.
    salt = f"province:{indices.province_version(_pid(period))}|{_points_key(family)}|{local_today()}"
    make = lambda: _unit_payload(unit, period, family, peers)  # noqa: E731
    return indices.cached(scope, covered, _pid(period), make, salt)


def _points_key(unit_ids: set[int]) -> str:
    rows = db.session.execute(
        select(ServicePoint.id, ServicePoint.code, ServicePoint.name, ServicePoint.active)
        .where(ServicePoint.unit_id.in_(unit_ids))
        .order_by(ServicePoint.id)
    )
    return repr(list(rows))


def _unit_payload(unit: Unit, period: Period | None, family: set[int], peers: list[Unit]) -> dict[str, Any]:
    cells = indices.load_cells(period, family)
    counters = indices.compute_cells(cells, "point")
    return {
        "indices": to_json_dict(indices.compute_cells(cells, "unit", indices.province_importance(period))),
        "month": _trend(cells, "month"),
        "quarter": _trend(cells, "quarter"),
        "rank": _peer_rank(unit, period, peers),
        "counters": to_json_dict(counters)["groups"][1:],
        "weeks": _weekly(family, period),
        "as_of": indices.newest(period, family),
        "computed_at": utcnow().isoformat(timespec="seconds") + "Z",
    }


def _trend(cells: CellStats, by: str) -> list[dict[str, Any]]:
    """SIPAS, sub-indices and elements per month or quarter (each from its own responses)."""
    groups = to_json_dict(indices.compute_cells(cells, by))["groups"][1:]
    return [{name: g[name] for name in _TREND_FIELDS} | {"label": g["key"][by]} for g in groups]


def _weekly(family: set[int], period: Period | None) -> dict[str, Any]:
    """Responses per counter and week (Monday to Sunday) for the last weeks of the period, from
    the per-day counts the write path keeps (no scan of the responses).

    Every active counter of the units is listed, with zeros: a silent counter (a broken QR
    poster, a counter that stopped asking) shows up as a row of zeros.
    """
    last = local_today() if period is None else min(local_today(), period.ends_on)
    monday = last - timedelta(days=last.weekday())
    weeks = [monday - timedelta(weeks=k) for k in range(WEEKS_SHOWN - 1, -1, -1)]
    points = db.session.execute(
        select(ServicePoint.id, Unit.code, ServicePoint.code, ServicePoint.name)
        .join(ServicePoint.unit)
        .where(ServicePoint.unit_id.in_(family), ServicePoint.active.is_(True))
        .order_by(Unit.code, ServicePoint.code)
    ).all()
    query = (
        select(ResponseDay.point_key, ResponseDay.day, func.sum(ResponseDay.responses))
        .where(ResponseDay.unit_id.in_(family), ResponseDay.day >= weeks[0], ResponseDay.day <= last)
        .group_by(ResponseDay.point_key, ResponseDay.day)
    )
    if period is not None:
        query = query.where(ResponseDay.period_key == period.id)
    counts: dict[tuple[int, date], int] = {}
    for point_id, day, n in db.session.execute(query):
        week = day - timedelta(days=day.weekday())
        counts[(point_id, week)] = counts.get((point_id, week), 0) + int(n or 0)
    rows = [
        {"unit_code": uc, "point_code": pc, "name": name, "counts": [counts.get((pid, w), 0) for w in weeks]}
        for pid, uc, pc, name in points
    ]
    return {"weeks": [w.isoformat() for w in weeks], "rows": rows}


def _peer_rank(unit: Unit, period: Period | None, peers: list[Unit]) -> dict[str, Any] | None:
    """The unit's SIPAS rank range among its peers, each peer counting its subtree and history."""
    if len(peers) < 2:
        return None
    owner = {uid: peer.code for peer in peers for uid in family_ids({peer.id})}
    cells = indices.load_cells(period, set(owner), keys=indices.COUNTER_STRATA, codes=owner)
    result = indices.compute_cells(cells, "unit")
    try:
        rank = result.group(unit_code=unit.code).rank
    except KeyError:  # no response of this unit in the period
        rank = None
    out = {"peers": len(peers), "rank": None, "best": None, "worst": None, "of": None}
    if rank is not None:
        out |= {"rank": rank.rank, "best": rank.best, "worst": rank.worst, "of": rank.of}
    return out


def silent_points(since_days: int = SILENT_DAYS) -> list[dict[str, Any]]:
    """Active counters of current units with no response in the last ``since_days`` days.

    One grouped query over the per-day counts (the newest day with a response per counter).
    """
    first = local_today() - timedelta(days=since_days - 1)
    newest = (
        select(ResponseDay.point_key, func.max(ResponseDay.day).label("last"))
        .where(ResponseDay.responses > 0)
        .group_by(ResponseDay.point_key)
        .subquery()
    )
    query = _current(
        select(Unit.code, Unit.name, ServicePoint.code, ServicePoint.name, newest.c.last)
        .join(ServicePoint.unit)
        .outerjoin(newest, newest.c.point_key == ServicePoint.id)
        .where(ServicePoint.active.is_(True))
        .order_by(Unit.name, ServicePoint.code)
    )
    return [
        {"unit_code": uc, "unit": un, "point_code": pc, "point": pn, "last": last and last.isoformat()}
        for uc, un, pc, pn, last in db.session.execute(query)
        if last is None or last < first
    ]


def province_report(period: Period | None) -> dict[str, Any]:
    """The province overview: `sipas compute --by unit` of the period, units' names and kinds,
    and the province trend; kept in report_cache like unit reports."""
    names = repr(list(db.session.execute(select(Unit.code, Unit.name, Unit.kind).order_by(Unit.code))))
    scope = f"province:{_pid(period) or 'all'}"
    return indices.cached(scope, None, _pid(period), lambda: _province_payload(period), names)


def _province_payload(period: Period | None) -> dict[str, Any]:
    cells = indices.load_cells(period)
    result = to_json_dict(indices.compute_cells(cells, "unit"))
    units = {
        code: {"name": name, "kind": kind}
        for code, name, kind in db.session.execute(_current(select(Unit.code, Unit.name, Unit.kind)))
    }
    return {
        "indices": result,
        "units": units,
        "month": _trend(cells, "month"),
        "computed_at": utcnow().isoformat(timespec="seconds") + "Z",
        "as_of": indices.newest(period),
    }
