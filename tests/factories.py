"""Small factories for test data; each adds to the session and flushes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from survey.auth.passwords import hash_password
from survey.extensions import db
from survey.models import Case, Period, ServicePoint, Unit, User, utcnow
from survey.periods import local_today


def make_unit(
    code: str = "LC-SNV",
    name: str = "Sở Nội vụ tỉnh Lai Châu",
    kind: str = "department",
    parent: Unit | None = None,
    **kw: object,
) -> Unit:
    unit = Unit(code=code, name=name, kind=kind, parent=parent, **kw)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_point(
    unit: Unit | None = None, code: str = "Q01", name: str = "Quầy 1", **kw: object
) -> ServicePoint:
    point = ServicePoint(unit=unit or make_unit(), code=code, name=name, **kw)
    db.session.add(point)
    db.session.flush()
    return point


def make_period(
    code: str = "2026", is_open: bool = True, starts_on: date | None = None, ends_on: date | None = None
) -> Period:
    today = local_today()
    period = Period(
        code=code,
        name=f"Đợt {code}",
        starts_on=starts_on or today - timedelta(days=30),
        ends_on=ends_on or today + timedelta(days=30),
        is_open=is_open,
    )
    db.session.add(period)
    db.session.flush()
    return period


def make_open_point() -> ServicePoint:
    """A point of a department with an open period, committed: the usual survey set-up."""
    make_period()
    point = make_point()
    db.session.commit()
    return point


PASSWORD = "Matkhau2026"


def make_user(
    email: str = "admin@snv.laichau.gov.vn",
    role: str = "admin",
    unit: Unit | None = None,
    password: str = PASSWORD,
    **kw: object,
) -> User:
    """An account with a known password (hashed with the cheap test parameters)."""
    user = User(email=email, role=role, unit=unit, password_hash=hash_password(password), **kw)
    db.session.add(user)
    db.session.flush()
    return user


def make_case(
    unit: Unit,
    text: str = "Thời gian chờ quá lâu.",
    category: str = "complaint",
    status: str = "new",
    created_at: datetime | None = None,
    point: ServicePoint | None = None,
    code: str | None = None,
    **kw: object,
) -> Case:
    """A citizen's case of a unit (no response behind it), optionally with a known code."""
    from survey.cases.codes import code_hash, normalise

    now = utcnow()
    case = Case(
        unit=unit,
        point=point,
        text=text,
        category=category,
        status=status,
        created_at=created_at or now,
        updated_at=now,
        closed_at=now if status == "closed" else None,
        code_hash=code_hash(normalise(code) or code) if code else None,
        **kw,
    )
    db.session.add(case)
    db.session.flush()
    return case
