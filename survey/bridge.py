"""The one bridge from database rows to the interchange DataFrame (SPEC 3.5).

Views and commands never build DataFrames themselves: they call this, then `analysis`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Select, select

from analysis.interchange import columns, validate_frame
from analysis.quality import flag_responses
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Answer, Response, ServicePoint, Unit
from survey.periods import LOCAL_TZ

__all__ = ["current_unit_codes", "opening_hours_by_point", "responses_frame"]

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


def _rows(query: Select) -> list[tuple[object, ...]]:
    """The query's rows as plain tuples, through Core.

    At 100,000 responses (millions of answers) the ORM's per-row work, and pandas probing each
    Row object for attributes, took most of the time of a report; the values are the same.
    """
    return [tuple(row) for row in db.session.connection().execute(query)]


def _answers_wide(resp_ids: pd.Index, period_id: int | None, unit_ids: Iterable[int] | None) -> pd.DataFrame:
    ins = instrument()
    query = _filtered(
        select(Answer.response_id, Answer.item_code, Answer.value, Answer.text).join(Response),
        period_id,
        unit_ids,
    )
    ans = pd.DataFrame(_rows(query), columns=["rid", "code", "value", "text"])
    kinds = ans["code"].map(lambda c: ins.items[c].kind if c in ins.items else "unknown")
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


def responses_frame(
    period_id: int | None = None, unit_ids: Iterable[int] | None = None, attach_to_successor: bool = False
) -> pd.DataFrame:
    """Stored responses (optionally of one period and some units) as a validated interchange frame.

    With ``attach_to_successor`` a merged unit's responses carry the code of the unit it went
    into, so reports by unit keep its history (the export keeps the codes as given). The
    ``flags`` column holds the stored flags and the data-quality flags computed now.
    """
    unit_ids = list(unit_ids) if unit_ids is not None else None
    query = _filtered(
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
            Response.flags,
        )
        .join(Unit, Response.unit_id == Unit.id)
        .outerjoin(ServicePoint, Response.point_id == ServicePoint.id)
        .order_by(Response.submitted_at, Response.id),
        period_id,
        unit_ids,
    )
    meta = pd.DataFrame(_rows(query), columns=META).set_index("id")
    meta["submitted_at"] = (
        pd.to_datetime(meta["submitted_at"]).dt.tz_localize("UTC").dt.tz_convert(LOCAL_TZ.key)
    )
    if attach_to_successor:
        meta["unit_code"] = meta["unit_code"].map(current_unit_codes())
    wide = _answers_wide(meta.index, period_id, unit_ids)
    frame = pd.concat([meta, wide], axis=1).reset_index(drop=True)
    frame = validate_frame(frame.reindex(columns=columns(instrument())), instrument())
    # Data-quality flags (speeder, burst, after_hours …) travel with every export (SPEC 3.5).
    return frame.assign(flags=flag_responses(frame, instrument(), opening_hours_by_point()))


def opening_hours_by_point() -> dict[str, str]:
    """Opening hours of every counter, keyed ``unit_code/point_code`` as the analysis expects."""
    rows = db.session.execute(
        select(Unit.code, ServicePoint.code, ServicePoint.opening_hours).join(ServicePoint.unit)
    )
    return {f"{unit}/{point}": hours for unit, point, hours in rows if hours}
