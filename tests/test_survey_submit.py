"""Submitting the survey: stored once, validated on the server, answers never lost."""

from __future__ import annotations

import re
import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from sqlalchemy import func, select

from survey.models import Answer, Response
from tests.factories import make_open_point, make_period, make_point
from tests.survey_client import hidden, open_form, post_answers


def stored(db) -> list[tuple[str, int | None, str | None]]:  # type: ignore[no-untyped-def]
    return sorted(tuple(r) for r in db.session.execute(select(Answer.item_code, Answer.value, Answer.text)))


def count_responses(db) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(Response))


def test_valid_answers_are_stored_and_redirect_to_thanks(db, client):
    """A valid POST answers 303 to the thank-you page and stores one row per answer."""
    point = make_open_point()
    t, csrf = open_form(client, point.token, **{"S1": "2", "B5.0": "2"})
    reply = post_answers(
        client,
        point.token,
        t,
        csrf,
        {
            "S1": "2",
            "B5.0": "2",
            "B1.1": "4",
            "B4.1": "9",
            "policy_group": "G3",
            "A2": "1",
            "E1": ["1", "5"],
            "C1": "  Cần thêm ghế ngồi.  ",
            "P2": "4",
        },
    )
    assert reply.status_code == 303
    assert reply.headers["Location"] == f"/s/{point.token}/thanks"
    assert stored(db) == [
        ("A2.G3", 1, None),
        ("B1.1", 4, None),
        ("B4.1", 9, None),
        ("B5.0", 2, None),
        ("C1", None, "Cần thêm ghế ngồi."),
        ("E1", 1, None),
        ("E1", 5, None),
        ("P2", 4, None),
        ("S1", 2, None),
    ]
    response = db.session.scalars(select(Response)).one()
    assert (response.point_id, response.unit_id, response.channel, response.policy_group) == (
        point.id,
        point.unit_id,
        "qr",
        "G3",
    )
    assert response.language == "vi"
    assert 0 <= response.duration_s < 60
    thanks = client.get(reply.headers["Location"])
    assert "Xin cảm ơn" in thanks.text


def test_everything_skipped_is_still_a_response(db, client):
    """Every question may be skipped: an empty form stores a response with no answers."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    assert post_answers(client, point.token, t, csrf, {}).status_code == 303
    assert count_responses(db) == 1
    assert stored(db) == []


def test_out_of_range_answer_keeps_every_answer(db, client):
    """An invalid code answers 422, names the question and keeps every other answer checked."""
    point = make_open_point()
    t, csrf = open_form(client, point.token, S1="2")
    reply = post_answers(
        client,
        point.token,
        t,
        csrf,
        {
            "S1": "2",
            "B1.1": "7",
            "B1.2": "5",
            "B4.2": "9",
            "E1": ["2", "6"],
            "C1": "Nhận xét của tôi",
            "policy_group": "G7",
            "A4": "3",
        },
    )
    assert reply.status_code == 422
    html = reply.text
    assert re.search(
        r'id="q-B1-1".*?class="err"[^>]*>Câu trả lời này không có trong các lựa chọn', html, re.S
    )
    for name, value in [("B1.2", "5"), ("B4.2", "9"), ("E1", "2"), ("E1", "6"), ("A4", "3")]:
        assert re.search(rf'name="{re.escape(name)}" value="{value}" checked', html), (name, value)
    assert "Nhận xét của tôi</textarea>" in html
    assert '<option value="G7" selected>' in html
    assert hidden(html, "t") == t
    assert count_responses(db) == 0


def test_answer_to_a_skipped_question_is_rejected(db, client):
    """B4.1 is only for people collecting a result: answering it with S1 = 1 is refused."""
    point = make_open_point()
    t, csrf = open_form(client, point.token, S1="1")
    reply = post_answers(client, point.token, t, csrf, {"S1": "1", "B4.1": "4", "B5.0": "2", "B5.3": "5"})
    assert reply.status_code == 422
    # Twice in the error summary, once beside each question.
    assert reply.text.count("Câu này không áp dụng với câu trả lời của Ông/Bà ở trang đầu") == 4
    assert count_responses(db) == 0


def test_unknown_question_is_rejected(db, client):
    """A field that is no question of the instrument is refused and named."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    reply = post_answers(client, point.token, t, csrf, {"B9.9": "4"})
    assert reply.status_code == 422
    assert "B9.9" in reply.text
    assert count_responses(db) == 0


def test_too_many_choices_is_rejected(db, client):
    """E1 allows at most two choices."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    reply = post_answers(client, point.token, t, csrf, {"E1": ["1", "2", "3"]})
    assert reply.status_code == 422
    assert "Chọn tối đa 2" in reply.text


def test_double_post_stores_one_response(db, client):
    """Posting the same form load twice (double tap, reload) stores one response."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    first = post_answers(client, point.token, t, csrf, {"B1.1": "5"})
    second = post_answers(client, point.token, t, csrf, {"B1.1": "5"})
    assert first.status_code == second.status_code == 303
    assert count_responses(db) == 1


def test_two_form_loads_store_two_responses(db, client):
    """Two separate form loads are two responses."""
    point = make_open_point()
    for _ in range(2):
        t, csrf = open_form(client, point.token)
        post_answers(client, point.token, t, csrf, {"B1.1": "5"})
    assert count_responses(db) == 2


def test_concurrent_posts_of_one_form_store_one_response(db, live_server):
    """Eight simultaneous POSTs of one form load over real HTTP store exactly one response."""
    point = make_open_point()
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    first = opener.open(f"{live_server}/s/{point.token}").read().decode()
    body = urllib.parse.urlencode(
        {"t": hidden(first, "t"), "csrf_token": hidden(first, "csrf_token"), "B1.1": "4"}
    )
    body = body.encode()
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        barrier.wait()
        with opener.open(f"{live_server}/s/{point.token}", data=body) as reply:
            statuses.append(reply.status)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [200] * 8  # each followed its 303 to the thank-you page
    db.session.expire_all()
    assert count_responses(db) == 1


def test_post_without_csrf_token_is_refused_and_keeps_answers(db, app):
    """CSRF is enforced on the survey: no token, no row, and the answers come back."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    point = make_open_point()
    t, _ = open_form(client, point.token)
    reply = client.post(f"/s/{point.token}", data={"t": t, "B2.1": "2"})
    assert reply.status_code == 400
    assert re.search(r'name="B2.1" value="2" checked', reply.text)
    assert count_responses(db) == 0


def test_forged_form_load_token_is_not_trusted(db, client):
    """A tampered form-load token is replaced: answers kept, 422, nothing stored."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    reply = post_answers(client, point.token, t[:-2] + "xx", csrf, {"B3.1": "5"})
    assert reply.status_code == 422
    assert hidden(reply.text, "t") != t
    assert re.search(r'name="B3.1" value="5" checked', reply.text)
    assert count_responses(db) == 0


def test_device_is_stored_only_as_a_salted_hash(db, client):
    """The device cookie is random and only its HMAC is stored; never the IP address."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    cookie = client.get_cookie("sipas_device")
    assert cookie is not None and len(cookie.value) >= 16
    post_answers(client, point.token, t, csrf, {"B1.1": "4"})
    response = db.session.scalars(select(Response)).one()
    assert response.device_hash is not None and len(response.device_hash) == 32
    assert cookie.value not in response.device_hash
    row = db.session.execute(select(Response.__table__)).one()
    assert not any("127.0.0.1" in str(v) for v in row)


def test_submit_to_closed_period_is_410(db, client):
    """Once the period closes, a submit answers 410 and stores nothing."""
    period = make_period()
    point = make_point()
    db.session.commit()
    t, csrf = open_form(client, point.token)
    period.is_open = False
    db.session.commit()
    assert post_answers(client, point.token, t, csrf, {"B1.1": "4"}).status_code == 410
    assert count_responses(db) == 0
