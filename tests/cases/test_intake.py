"""From the survey to a case: masked at write time, the code handed over once, never in a URL."""

from __future__ import annotations

import gzip
import re

from sqlalchemy import select

from survey.cases.codes import code_hash, normalise
from survey.models import Answer, Case, Response
from tests.cases.conftest import CODE, World, code_on, submit, submit_and_thank
from tests.survey_client import open_form, post_answers

RAW = "Cán bộ … đòi 500.000đ mới làm nhanh. Gọi tôi 0912 345 678, CCCD 012345678901, a.b@gmail.com"
MASKED = "Cán bộ … đòi 500.000đ mới làm nhanh. Gọi tôi [SĐT], CCCD [CCCD/CMND], [email]"


def test_a_comment_is_stored_masked_and_opens_one_case(db, client, world: World):
    """The answer row and the case hold the masked text; the raw phone, ID and e-mail are nowhere."""
    submit(client, world.point, RAW)
    response = db.session.scalars(select(Response)).one()
    stored = db.session.scalar(select(Answer.text).where(Answer.item_code == "C1"))
    case = db.session.scalars(select(Case)).one()
    assert stored == MASKED and case.text == MASKED
    assert (case.unit_id, case.point_id, case.period_id) == (
        world.ward.id,
        world.point.id,
        response.period_id,
    )
    assert (case.response_id, case.status, case.category) == (response.id, "new", "misconduct")
    assert case.created_at == response.submitted_at and case.code_hash is not None


def test_no_comment_no_case(db, client, world: World):
    """A response without a comment (or with only spaces) opens no case and shows no code."""
    page = submit_and_thank(client, world.point, "   ")
    assert db.session.scalars(select(Case)).all() == []
    assert CODE.search(page) is None
    assert "dichvucong.gov.vn" in page  # the official channels are always named


def test_the_thank_you_page_shows_the_code_once(db, client, world: World):
    """The code on the thank-you page opens the case; a reload no longer shows it."""
    reply = submit(client, world.point, "Cần thêm ghế ngồi chờ.")
    assert reply.headers["Location"] == f"/s/{world.point.token}/thanks"  # no query string
    first = client.get(reply.headers["Location"])
    code = code_on(first.text)
    assert db.session.scalars(select(Case)).one().code_hash == code_hash(normalise(code) or "")
    assert f"/c/{code}" in first.text
    again = client.get(reply.headers["Location"])
    assert CODE.search(again.text) is None


def test_the_code_travels_in_a_strict_short_lived_cookie(client, world: World):
    """The code cookie is HttpOnly, SameSite=Strict, for the survey's paths, and expires in minutes."""
    reply = submit(client, world.point, "Cần thêm quạt.")
    cookie = next(h for h in reply.headers.getlist("Set-Cookie") if h.startswith("sipas_case="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/s/" in cookie
    assert int(re.search(r"Max-Age=(\d+)", cookie).group(1)) <= 15 * 60
    assert normalise(cookie) is None and CODE.search(cookie) is None  # signed, not the plain code


def test_a_replayed_submission_opens_no_second_case_and_sets_no_code(db, client, world: World):
    """The same form load posted twice stores one response and one case; the replay carries no code."""
    screen = {"S1": "2", "B5.0": "2"}
    t, csrf = open_form(client, world.point.token, **screen)
    data = {**screen, "B1.1": "4", "C1": "Thái độ khó chịu"}
    first = post_answers(client, world.point.token, t, csrf, data)
    second = post_answers(client, world.point.token, t, csrf, data)
    assert first.status_code == second.status_code == 303
    assert not any(h.startswith("sipas_case=") for h in second.headers.getlist("Set-Cookie"))
    assert len(db.session.scalars(select(Case)).all()) == 1


def test_the_thank_you_page_stays_tiny_and_local(client, world: World):
    """With a code and the call-back form, the page is far under 30 KB compressed and loads nothing
    from elsewhere: its one script is the survey's own cached file (it clears the sent draft)."""
    page = submit_and_thank(client, world.point, "Cần thêm ghế.")
    assert len(gzip.compress(page.encode())) < 30 * 1024
    assert not re.search(r'(src|href)="(https?:)?//', page)
    scripts = re.findall(r"<script[^>]*>", page)
    assert len(scripts) == 1 and re.search(r'src="/assets/survey-[0-9a-f]+\.js"', scripts[0])
    assert re.search(r"<script[^>]*>\s*</script>", page)  # no inline code


def test_a_paper_import_masks_comments_and_opens_cases_without_code(db, world: World):
    """Imported comments are masked before the commit and become cases received now, with no code."""
    from survey.paper import import_responses

    csv = (
        "response_id,submitted_at,unit_code,point_code,channel,weight,B1.1,comment\n"
        "p-1,2026-01-05T09:00:00,03408,Q01,paper,,4,Gọi 0912345678 để hỏi\n"
        "p-2,2026-01-05T09:10:00,03408,Q01,paper,,5,\n"
    ).encode()
    with db.session.begin_nested():
        assert import_responses(csv, "paper.csv") == 2
    db.session.commit()
    case = db.session.scalars(select(Case)).one()
    assert case.text == "Gọi [SĐT] để hỏi" and case.code_hash is None
    assert db.session.scalar(select(Answer.text).where(Answer.text.is_not(None))) == "Gọi [SĐT] để hỏi"
    assert (
        case.created_at.year >= 2026
        and case.created_at > db.session.scalars(select(Response)).first().submitted_at
    )
