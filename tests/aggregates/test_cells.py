"""Stored cell statistics: the reports' numbers equal ``compute_indices`` on the stored rows.

Every reference here is computed from the rows themselves: ``responses_frame`` (the stored
responses as an interchange frame) given to ``analysis.compute_indices`` with the report's
design. The reports' side reads only the stored cells.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, update

from analysis import compute_indices, counter_design, to_json_dict
from analysis.layout import layout_of
from survey.aggregates import delete_responses, settle, stored_cells
from survey.auth.access import family_ids
from survey.bridge import responses_frame
from survey.extensions import db as _db
from survey.instrument import instrument
from survey.models import Period, Response, ResponseCell, ServicePoint, Unit
from survey.reports import indices
from survey.responses import store_response
from tests.factories import make_period, make_point, make_unit

FIRST_DAY = date(2026, 10, 1)  # a Thursday; the responses span October and November
GROUPINGS = (("point", ["unit_code", "point_code"]), ("month", ["month"]), ("quarter", ["quarter"]))


def _answers(rng: np.random.Generator, kind: str) -> dict[str, Any]:
    """A plausible response to every applicable item of one policy group; ``straight`` answers
    every rating with one code."""
    ins = instrument()
    group = str(rng.choice(list(ins.policy_groups)))
    screeners = {"S1": 2, "B5.0": 1}
    items = [i for i in ins.index_items if i.group in (None, group) and i.applies(screeners)]
    out: dict[str, Any] = dict(screeners)
    out |= {i.code: 4 if kind == "straight" else int(rng.choice([1, 2, 3, 4, 4, 5, 5])) for i in items}
    out["B0"] = 4 if kind == "straight" else int(rng.choice([2, 3, 4, 5]))
    if rng.random() < 0.5:
        out["E1"] = tuple(sorted({int(rng.integers(1, 5)), int(rng.integers(1, 5))}))
    out["_group"] = group
    return out


def _store(
    rng: np.random.Generator,
    point: ServicePoint,
    period: Period,
    n: int,
    *,
    day: date | None = None,
    device: str | None = None,
    minutes: float = 0.0,
) -> list[Response]:
    """``n`` responses at ``point``: mostly plausible, a few too fast, a few all alike, a few in
    the evening (after the counter's hours), some with a design weight other than 1."""
    out = []
    for k in range(n):
        kind = str(rng.choice(["plain"] * 16 + ["fast", "straight", "evening"]))
        answers = _answers(rng, kind)
        group = answers.pop("_group")
        when = day or FIRST_DAY + timedelta(days=int(rng.integers(0, 58)))
        hour = 12 if kind == "evening" else 2  # 19:xx or 09:xx local time
        at = datetime.combine(when, datetime.min.time()) + timedelta(
            hours=hour, minutes=minutes * k if device else int(rng.integers(0, 50))
        )
        response = store_response(
            point=point,
            period=period,
            answers=answers,
            policy_group=group,
            language="vi",
            duration_s=8 if kind == "fast" else int(rng.integers(90, 600)),
            device_hash=device,
            submitted_at=at,
        )
        if rng.random() < 0.2:
            response.weight = float(rng.choice([0.5, 2.0, 3.0]))
        out.append(response)
    _db.session.commit()
    return out


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    """A province with two departments (three counters) and a commune; responses in a period."""
    rng = np.random.default_rng(20261201)
    period = make_period("2026", starts_on=date(2026, 9, 1), ends_on=date(2026, 12, 31))
    province = make_unit("LC", "Tỉnh Lai Châu", "province")
    big = make_unit("LC-SNV", "Sở Nội vụ", "department", parent=province)
    small = make_unit("LC-SYT", "Sở Y tế", "department", parent=province)
    commune = make_unit("LC-XA1", "Xã Một", "commune", parent=province)
    points = {
        "big1": make_point(big, "Q01"),
        "big2": make_point(big, "Q02"),
        "small": make_point(small, "Q01"),
        "commune": make_point(commune, "Q01"),
    }
    _db.session.commit()
    _store(rng, points["big1"], period, 90)
    _store(rng, points["big2"], period, 70)
    _store(rng, points["small"], period, 45)
    _store(rng, points["commune"], period, 30)
    return {"rng": rng, "period": period, "units": (big, small, commune), "points": points}


def close(a: Any, b: Any, path: str = "") -> None:
    """Deep equality, numbers to 1e-9 (relative, or absolute near zero)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            close(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            close(x, y, f"{path}[{k}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9), path
    else:
        assert a == b, path


def _rows_result(period: Period, unit_ids: set[int] | None, by: list[str], province: bool) -> dict[str, Any]:
    """The reference: compute_indices on the stored rows, with the report's design."""
    frame = responses_frame(period.id, unit_ids, attach_to_successor=True)
    reference = responses_frame(period.id, None, attach_to_successor=True) if province else None
    return to_json_dict(
        compute_indices(
            frame, instrument(), by=by, weight="weight", importance_from=reference, **counter_design()
        )
    )


def _meaningful(result: dict[str, Any]) -> None:
    """The comparison covers every kind of figure: values and SEs of each are present."""
    whole = result["groups"][0]
    assert whole["sipas"]["value"] is not None and whole["sipas"]["se"] is not None
    for part in ("policy", "service"):
        assert whole[part]["value"] is not None and whole[part]["se"] is not None
    assert any(e["value"] is not None and e["se"] for e in whole["elements"].values())
    assert any(i["value"] is not None and i["se"] for i in whole["items"].values())


def check_reports(world: dict[str, Any]) -> None:
    """Unit reports (own responses and history, province importances), the counters, month and
    quarter trends, and the province overview: cells against rows."""
    period = world["period"]
    big, small, _commune = world["units"]
    for unit in (big, small):
        family = family_ids({unit.id})
        cells_side = to_json_dict(indices.unit_result(_db.session.get(Unit, unit.id), period))
        rows_side = _rows_result(period, family, ["unit_code"], province=True)
        _meaningful(rows_side)
        close(cells_side, rows_side)
        cells = indices.load_cells(period, family)
        for by, cols in GROUPINGS:
            close(to_json_dict(indices.compute_cells(cells, by)), _rows_result(period, family, cols, False))
    close(to_json_dict(indices.province_result(period)), _rows_result(period, None, ["unit_code"], False))


def _flag_counts(period: Period) -> dict[str, int]:
    cells = stored_cells(period.id, None, keys=())
    return {str(k): int(round(n)) for k, n in zip(cells.keys["flags"], cells.stats[:, 0], strict=True)}


def test_cells_equal_rows_after_new_responses(world) -> None:  # type: ignore[no-untyped-def]
    """The stored cells give every report figure of compute_indices on the rows; more responses
    on days already folded are folded into their days' cells."""
    check_reports(world)
    _store(world["rng"], world["points"]["big1"], world["period"], 25)
    _store(world["rng"], world["points"]["small"], world["period"], 10, day=FIRST_DAY + timedelta(days=3))
    check_reports(world)
    # The cells hold every stored response once, under its stored flags.
    flags = pd.Series(dict(_db.session.execute(select(Response.id, Response.flags)).all()))
    assert _flag_counts(world["period"]) == flags.value_counts().to_dict()


def test_cells_equal_rows_after_a_deletion(world) -> None:  # type: ignore[no-untyped-def]
    """Deleted responses leave their days' cells at the next read."""
    check_reports(world)
    ids = list(_db.session.scalars(select(Response.id).order_by(Response.id).limit(40)))
    assert delete_responses(ids[::3]) == len(ids[::3])
    _db.session.commit()
    check_reports(world)
    assert sum(_flag_counts(world["period"]).values()) == _db.session.query(Response).count()


def test_cells_follow_a_unit_merger(world) -> None:  # type: ignore[no-untyped-def]
    """A merged unit's cells count for its successor, as its rows do."""
    big, small, commune = world["units"]
    check_reports(world)
    _db.session.get(Unit, commune.id).successor_id = small.id
    _db.session.commit()
    assert commune.id in family_ids({small.id})
    check_reports(world)
    cells = indices.load_cells(world["period"], family_ids({small.id}))
    assert set(cells.keys["unit_code"]) == {"LC-SYT"}


def test_cells_follow_a_burst(world) -> None:  # type: ignore[no-untyped-def]
    """Five answers of one phone at one counter within ten minutes: the four after the first
    move to the burst cells once read."""
    period = world["period"]
    check_reports(world)
    before = _flag_counts(period)
    day = FIRST_DAY + timedelta(days=5)  # a Tuesday
    burst = _store(world["rng"], world["points"]["big2"], period, 5, day=day, device="phone", minutes=2)
    check_reports(world)
    flags = dict(_db.session.execute(select(Response.id, Response.flags)).all())
    assert ["burst" in flags[r.id] for r in burst] == [False, True, True, True, True]
    after = _flag_counts(period)
    assert sum(n for k, n in after.items() if "burst" in k) == 4
    assert sum(after.values()) == sum(before.values()) + 5


def test_cells_of_another_layout_are_recomputed(world) -> None:  # type: ignore[no-untyped-def]
    """Cells tagged with another instrument layout, or whose bytes carry another layout, are
    never added up: their days are folded again from the rows."""
    check_reports(world)
    current = layout_of(instrument()).fingerprint
    rows = _db.session.execute(select(ResponseCell.id, ResponseCell.stats)).all()
    # Half the cells tagged as made under another layout; a few under the current tag with
    # bytes of another layout (the fingerprint in their header changed).
    for k, (cell_id, data) in enumerate(rows):
        if k % 2:
            values: dict[str, Any] = {"layout": "0" * 16}
        elif k % 5 == 0:
            data = bytes(data)
            assert data[5:13] == current
            values = {"stats": data[:5] + bytes(8) + data[13:]}
        else:
            continue
        _db.session.execute(update(ResponseCell).where(ResponseCell.id == cell_id).values(**values))
    _db.session.commit()
    assert settle() == 0  # nothing changed in the responses: only the reader notices
    check_reports(world)
    tags = set(_db.session.scalars(select(ResponseCell.layout)))
    assert tags == {current.hex()}
    stale = [bytes(d)[5:13] for d in _db.session.scalars(select(ResponseCell.stats))]
    assert set(stale) == {current}


def test_refresh_recomputes_cells_of_another_layout(world, runner) -> None:  # type: ignore[no-untyped-def]
    """`sipas refresh` folds again the days whose cells carry another layout's tag."""
    check_reports(world)
    days = set(_db.session.scalars(select(ResponseCell.day_id)))
    _db.session.execute(update(ResponseCell).values(layout="f" * 16))
    _db.session.commit()
    result = runner.invoke(args=["sipas", "refresh"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{len(days)} days folded"
    _db.session.expire_all()
    current = layout_of(instrument()).fingerprint.hex()
    assert set(_db.session.scalars(select(ResponseCell.layout))) == {current}
    check_reports(world)


def test_peer_ranks_from_cells_under_given_codes(world) -> None:  # type: ignore[no-untyped-def]
    """Peers' cells reported under the codes given per unit id (each peer with its history)
    give the ranks and numbers of the rows relabelled the same way."""
    big, small, commune = world["units"]
    period = world["period"]
    _db.session.get(Unit, commune.id).successor_id = small.id
    _db.session.commit()
    owner = {uid: peer.code for peer in (big, small) for uid in family_ids({peer.id})}
    assert owner[commune.id] == "LC-SYT"
    cells = indices.load_cells(period, set(owner), keys=("unit_code", "point_code"), codes=owner)
    frame = responses_frame(period.id, set(owner), attach_to_successor=False)
    codes = {c: owner[i] for c, i in _db.session.execute(select(Unit.code, Unit.id)) if i in owner}
    frame = frame.assign(unit_code=frame["unit_code"].map(codes))
    rows_side = compute_indices(frame, instrument(), by="unit_code", weight="weight", **counter_design())
    cells_side = indices.compute_cells(cells, "unit")
    close(to_json_dict(cells_side), to_json_dict(rows_side))
    assert cells_side.group(unit_code="LC-SYT").rank is not None
