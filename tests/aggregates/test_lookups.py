"""Counters and periods kept per process: every change is seen at the next request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from survey.aggregates import settle
from survey.models import Period, ResponseDay
from survey.points import revoke_token, rotate_token
from survey.responses import store_response
from tests.factories import make_open_point


def test_a_rotated_code_stops_at_once(db, client) -> None:
    """After a rotation the old code answers 404 and the new one the survey, in the same process."""
    point = make_open_point()
    old = point.token
    assert client.get(f"/s/{old}").status_code == 200
    rotate_token(point)
    db.session.commit()
    assert client.get(f"/s/{old}").status_code == 404
    assert client.get(f"/s/{point.token}").status_code == 200


def test_a_revoked_code_stops_at_once(db, client) -> None:
    """A revoked counter's code answers 404 at the next request."""
    point = make_open_point()
    assert client.get(f"/s/{point.token}").status_code == 200
    revoke_token(point)
    db.session.commit()
    assert client.get(f"/s/{point.token}").status_code == 404


def test_closing_the_period_answers_410_at_once(db, client) -> None:
    """A period closed through the model, or by a bulk UPDATE, closes the survey at once."""
    point = make_open_point()
    assert client.get(f"/s/{point.token}").status_code == 200
    period = db.session.scalar(select(Period))
    period.is_open = False
    db.session.commit()
    assert client.get(f"/s/{point.token}").status_code == 410
    period.is_open = True
    db.session.commit()
    assert client.get(f"/s/{point.token}").status_code == 200
    db.session.execute(update(Period).values(is_open=False))
    db.session.commit()
    assert client.get(f"/s/{point.token}").status_code == 410


def test_new_opening_hours_make_the_counters_days_stale(db) -> None:
    """The after_hours flag depends on the hours: changing them makes the counter's days dirty."""
    point = make_open_point()
    store_response(
        point=point,
        period=None,
        answers={"S1": 1},
        policy_group=None,
        language="vi",
        submitted_at=datetime(2026, 11, 23, 2, 0),
    )
    db.session.commit()
    assert settle() == 1 and settle() == 0
    point.opening_hours = "mon-sun 00:00-23:59"
    db.session.commit()
    assert db.session.scalar(select(ResponseDay.generation - ResponseDay.folded)) == 1
    assert settle() == 1
