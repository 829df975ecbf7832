"""Which survey period a response belongs to."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from survey.extensions import db
from survey.models import Period

__all__ = ["LOCAL_TZ", "local_today", "open_period"]

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def open_period(on: date) -> Period | None:
    """The period open for answers on the given day, or None when the survey is closed."""
    return db.session.scalars(
        select(Period).where(Period.is_open.is_(True), Period.starts_on <= on, Period.ends_on >= on)
    ).first()


def local_today() -> date:
    """Today's date in Vietnam, where every counter is."""
    return datetime.now(LOCAL_TZ).date()
