"""Demo province: Lai Châu's real unit tree, invented counters and synthetic responses.

The unit tree is the real one (survey/data/lai-chau-units.csv, with its sources). Counter
names are invented and marked "(demo)"; responses are synthetic, drawn so that satisfaction
differs believably by unit and element around the 2024 baseline of 81.51 %.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from analysis.instrument import Instrument
from survey import aggregates
from survey.extensions import db
from survey.models import Answer, Period, Response, ServicePoint, Unit
from survey.responses import answer_rows as response_answer_rows
from survey.units import import_units, read_unit_rows

__all__ = ["DEMO_POINTS", "seed_demo"]

UNITS_CSV = Path(__file__).with_name("data") / "lai-chau-units.csv"

# (unit code, point code, counter name, unit effect on the log-odds of being satisfied)
DEMO_POINTS = (
    ("LC-TTPVHCC", "Q01", "Quầy Tư pháp – Hộ tịch (demo)", 0.45),
    ("LC-TTPVHCC", "Q02", "Quầy Đất đai (demo)", -0.35),
    ("LC-TTPVHCC", "Q03", "Quầy Đăng ký kinh doanh (demo)", 0.25),
    ("LC-TTPVHCC", "Q04", "Quầy Xây dựng (demo)", -0.1),
    ("03408", "Q01", "Bộ phận Một cửa phường Tân Phong (demo)", 0.3),
    ("03388", "Q01", "Bộ phận Một cửa phường Đoàn Kết (demo)", 0.15),
    ("03390", "Q01", "Bộ phận Một cửa xã Bình Lư (demo)", -0.2),
    ("03445", "Q01", "Bộ phận Một cửa xã Mường Tè (demo)", -0.55),
    ("03394", "Q01", "Bộ phận Một cửa xã Sin Suối Hồ (demo)", -0.4),
)
# Log-odds shift per element: facilities and feedback handling rate lowest, as in national results.
ELEMENT_EFFECT = {
    "B1": -0.45,
    "B2": 0.2,
    "B3": 0.35,
    "B4": 0.3,
    "B5": -0.6,
    "A1": -0.2,
    "A2": -0.55,
    "A3": 0.0,
    "A4": 0.1,
}
BASE_LOGIT = 1.95  # with the effects below, the demo province lands near the 81.51 % baseline
COMMENTS = (
    "Cần thêm ghế ngồi chờ.",
    "Cán bộ hướng dẫn nhiệt tình.",
    "Nên có bảng chỉ dẫn bằng tiếng dân tộc.",
    "Thời gian chờ hơi lâu.",
    "Phòng chờ nóng, cần thêm quạt.",
)


def _seed_periods(today: date) -> list[Period]:
    periods = [
        Period(
            code=str(y),
            name=f"Năm {y}",
            starts_on=date(y, 1, 1),
            ends_on=date(y, 12, 31),
            is_open=(y == today.year),
        )
        for y in (today.year - 1, today.year)
    ]
    db.session.add_all(periods)
    return periods


def _seed_points() -> list[tuple[ServicePoint, float]]:
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    points = [(ServicePoint(unit=units[u], code=c, name=n), eff) for u, c, n, eff in DEMO_POINTS]
    db.session.add_all(p for p, _ in points)
    db.session.flush()
    return points


def _answer(rng: np.random.Generator, logit: float) -> int:
    if rng.random() < 0.03:
        return 9
    if rng.random() < 1 / (1 + np.exp(-logit)):
        return 5 if rng.random() < 0.35 else 4
    return int(rng.choice((1, 2, 3), p=(0.15, 0.3, 0.55)))


def _draw(ins: Instrument, rng: np.random.Generator, effect: float, group: str) -> dict[str, object]:
    mood = rng.normal(0, 0.8)  # a respondent's general disposition, so items correlate
    answers: dict[str, object] = {
        "S1": int(rng.choice((1, 2, 3), p=(0.5, 0.35, 0.15))),
        "B5.0": 1 if rng.random() < 0.2 else 2,
    }
    for item in ins.index_items:
        if (item.group and item.group != group) or not item.applies(answers):
            continue
        if rng.random() < 0.04:
            continue  # skipped
        logit = BASE_LOGIT + effect + ELEMENT_EFFECT.get(item.element or "", 0) + mood
        answers[item.code] = _answer(rng, logit + rng.normal(0, 0.3))
    answers["B0"] = _answer(rng, BASE_LOGIT + effect + mood)
    if rng.random() < 0.5:
        answers["E1"] = tuple(sorted(rng.choice(range(1, 7), size=2, replace=False).tolist()))
    if rng.random() < 0.6:
        answers["P1"], answers["P2"] = int(rng.integers(1, 3)), int(rng.integers(1, 5))
    if rng.random() < 0.05:
        answers["C1"] = str(rng.choice(COMMENTS))
    return answers


def _submitted_at(rng: np.random.Generator, today: date) -> datetime:
    day = today - timedelta(days=int(rng.integers(0, 365)))
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    # Within the counters' default hours (07:00-11:30, 13:30-17:00: 480 minutes), as people come
    # while the counter is open; the lunch break is skipped.
    minute = int(rng.integers(0, 480))
    minute += 120 if minute >= 270 else 0
    local = datetime(day.year, day.month, day.day, 7) + timedelta(minutes=minute)
    return local - timedelta(hours=7)  # stored in UTC


DEMO_ACCOUNTS = (
    ("admin@demo.sipas.vn", "admin", None),
    ("phantich@demo.sipas.vn", "analyst", None),
    ("xa.muongte@demo.sipas.vn", "viewer", "03445"),
)


def _seed_accounts(password: str) -> None:
    from survey.accounts import create_user

    units = {u.code: u for u in db.session.scalars(select(Unit))}
    for email, role, unit in DEMO_ACCOUNTS:
        create_user(email, role, units.get(unit) if unit else None, password)


def seed_demo(
    ins: Instrument,
    responses: int = 3000,
    today: date | None = None,
    seed: int = 2024,
    password: str | None = None,
) -> dict[str, int]:
    """Fill an empty database with the demo province (and demo accounts if a password is given).

    The caller commits.
    """
    today = today or date.today()
    rng = np.random.default_rng(seed)
    created, _ = import_units(read_unit_rows(UNITS_CSV))
    periods = _seed_periods(today)
    points = _seed_points()
    if password:
        _seed_accounts(password)
    groups = list(ins.policy_groups)
    rows, answers = [], []
    for n in range(responses):
        point, effect = points[int(rng.integers(0, len(points)))]
        at = _submitted_at(rng, today)
        period = next(
            (p for p in periods if p.starts_on <= (at + timedelta(hours=7)).date() <= p.ends_on), None
        )
        group = groups[n % len(groups)]
        rows.append(
            {
                "point_id": point.id,
                "unit_id": point.unit_id,
                "period_id": period.id if period else None,
                "channel": "qr",
                "language": "vi" if rng.random() < 0.93 else "en",
                "submitted_at": at,
                "duration_s": int(rng.gamma(4, 35)),
                "device_hash": f"{rng.integers(0, 2**63):016x}",
                "policy_group": group,
                "weight": 1.0,
                "flags": "",
                "public_id": f"demo-{seed}-{n:06d}",
            }
        )
        answers.append(_draw(ins, rng, effect, group))
    ids: list[int] = []
    if rows:
        ids = list(
            db.session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), rows)
        )
    answer_rows = [
        row for rid, ans in zip(ids, answers, strict=True) for row in response_answer_rows(rid, ans)
    ]
    if answer_rows:
        db.session.execute(insert(Answer), answer_rows)
    aggregates.record_responses(ids)
    return {"units": created, "points": len(points), "periods": len(periods), "responses": len(ids)}
