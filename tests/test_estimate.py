"""The time a citizen is promised ("khoảng N phút") is measured on real responses."""

from __future__ import annotations

from survey.extensions import db as _db
from survey.models import Period, ServicePoint
from survey.public import estimate
from survey.responses import store_response
from tests.factories import make_open_point

# Typical answering times of 30 usable responses: median (540 + 550) / 2 = 545 s, so 10 minutes.
USABLE = [400 + 10 * i for i in range(30)]


def add_responses(point: ServicePoint, durations: list[int | None], flags: str = "", **kw: object) -> None:
    period = _db.session.query(Period).one()
    for d in durations:
        response = store_response(
            point=point, period=period, answers={}, policy_group=None, language="vi", duration_s=d, **kw
        )
        response.flags = flags
    _db.session.commit()


def add_noise(point: ServicePoint) -> None:
    """Responses that say nothing about answering time; counted, they would move the median."""
    add_responses(point, [5] * 40)  # speeders, under 20 s
    add_responses(point, [3601] * 40)  # a form left open over an hour
    add_responses(point, [None] * 40)  # no form load behind them
    add_responses(point, [30] * 40, channel="paper")  # typed in from paper by staff
    add_responses(point, [30] * 40, channel="link")  # a link, not the survey's QR code
    add_responses(point, [30] * 40, flags="straightliner")  # flagged by the quality checks


def test_first_page_promises_the_median_of_real_responses(db, client):
    """With 30 usable responses the first page shows ceil(median / 60) minutes, ignoring the rest."""
    point = make_open_point()
    add_noise(point)
    add_responses(point, USABLE)
    estimate.forget()
    page = client.get(f"/s/{point.token}").text
    assert "Thời gian trả lời: khoảng 10 phút." in page


def test_too_few_responses_fall_back_to_twelve_seconds_a_question(db, client):
    """29 usable responses are not enough: 23 questions of the shortest path × 12 s = 276 s, 5 minutes."""
    point = make_open_point()
    add_noise(point)
    add_responses(point, [1200] * 29)
    estimate.forget()
    page = client.get(f"/s/{point.token}").text
    assert "Thời gian trả lời: khoảng 5 phút." in page


def test_only_the_first_page_shows_the_time(db, client):
    """Later pages do not repeat the promise."""
    from tests.survey_client import open_form, turn_page

    point = make_open_point()
    t, csrf = open_form(client, point.token)
    reply = turn_page(client, point.token, t, csrf, {"S1": "1"}, page="screen")
    assert "Thời gian trả lời" not in reply.text
