"""Fixtures of the report tests: the administration tests' world and clients, and answered surveys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from survey.extensions import db as _db
from survey.instrument import instrument
from survey.models import Period, ServicePoint
from survey.periods import local_today
from survey.responses import store_response
from tests.admin.conftest import (  # noqa: F401  (fixtures, used by name)
    World,
    _expiring_requests,
    as_admin,
    as_analyst,
    as_viewer,
    world,
)

Answer = Callable[..., None]


def _weekday_morning(days_back: int) -> datetime:
    """A weekday at 09:30 in Vietnam (02:30 UTC, stored naive), inside every counter's hours."""
    day = local_today() - timedelta(days=days_back)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, time(2, 30))


@pytest.fixture
def answer(db) -> Answer:  # type: ignore[no-untyped-def]
    """``answer(point, n, comment=None, duration_s=300, e1=None)``: n plausible responses in the
    open period (``e1``: the areas chosen for "improve first", e.g. ``(1, 4)``).

    Ratings are drawn from a fixed seed (mostly satisfied, never one answer everywhere, so no
    data-quality flag fires); every response answers the service items, B0 and policy area G1.
    """
    rng = np.random.default_rng(7)
    # Collecting a result (S1=2) after earlier feedback (B5.0=1): every service item applies.
    screeners = {"S1": 2, "B5.0": 1}
    items = [i for i in instrument().index_items if i.group in (None, "G1") and i.applies(screeners)]

    def _answer(
        point: ServicePoint,
        n: int = 1,
        comment: str | None = None,
        duration_s: int = 300,
        e1: tuple[int, ...] | None = None,
    ) -> None:
        period = _db.session.scalar(select(Period).where(Period.code == "2026"))
        for k in range(n):
            answers: dict[str, int | str] = dict(screeners)
            answers |= {i.code: int(rng.choice([2, 3, 4, 4, 5, 5])) for i in items}
            answers["B0"] = int(rng.choice([3, 4, 5]))
            if comment is not None:
                answers["C1"] = comment
            if e1 is not None:
                answers["E1"] = e1
            store_response(
                point=point,
                period=period,
                answers=answers,
                policy_group="G1",
                language="vi",
                duration_s=duration_s,
                submitted_at=_weekday_morning(k % 20),
            )
        _db.session.commit()

    return _answer
