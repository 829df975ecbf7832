"""The citizen's page /c/<code>: the status and the reply, nothing else; a call back with consent."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from survey.extensions import db as _db
from survey.models import AuditLog, Case, CaseContact
from tests.cases.conftest import World, code_on, post, submit_and_thank
from tests.survey_client import hidden

COMMENT = "Cán bộ Nguyễn Văn B thái độ khó chịu, chờ lâu"


@pytest.fixture
def code(client, world: World) -> str:
    """The code of a complaint just submitted at ward 03408's counter."""
    return code_on(submit_and_thank(client, world.point, COMMENT))


def test_the_code_page_shows_status_and_reply_and_nothing_else(app, db, world: World, code, as_viewer):
    """After the official replies, /c/<code> shows the reply and the status — not the comment, the
    answers, the counter or the time of the visit."""
    case = db.session.scalars(select(Case)).one()
    post(as_viewer, f"/cases/{case.id}/reply", {"reply": "Đơn vị đã nhắc nhở cán bộ và bố trí thêm ghế."})
    page = app.test_client().get(f"/c/{code}")
    assert page.status_code == 200
    assert "Đơn vị đã nhắc nhở cán bộ và bố trí thêm ghế." in page.text
    assert "Phường Tân Phong" in page.text
    assert "<b>Đã trả lời</b>" in page.text
    assert "Nguyễn Văn B" not in page.text and "khó chịu" not in page.text
    assert world.point.name not in page.text
    assert case_time_shown(page.text, case) is False
    assert page.headers["Cache-Control"] == "no-store"


def case_time_shown(page: str, case: Case) -> bool:
    from survey.periods import LOCAL_TZ

    local = case.created_at.replace(tzinfo=__import__("datetime").UTC).astimezone(LOCAL_TZ)
    return f"{local:%H:%M}" in page


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{plain}", " {code} "])
def test_the_code_is_found_however_it_is_typed(app, code, typed):
    """Lower case, without the dash or with spaces: the form finds the case (code in the body)."""
    client = app.test_client()
    form = client.get("/c")
    value = typed.format(code=code, lower=code.lower(), plain=code.replace("-", ""))
    page = client.post("/c", data={"code": value, "csrf_token": hidden(form.text, "csrf_token")})
    assert page.status_code == 200 and code in page.text


def test_an_unknown_code_answers_404_with_the_form_again(app, world: World):
    """A wrong code: 404, the message, and the form to try again."""
    page = app.test_client().get("/c/ABCDE-FGHJK")
    assert page.status_code == 404 and 'name="code"' in page.text


def test_guessing_codes_is_rate_limited_but_finding_one_is_not(app, code):
    """Ten misses a minute from one address, then 429; successful lookups never count."""
    app.config["CASES_LOOKUP_LIMIT"] = "10 per minute"
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.77.0.1"
    for _ in range(15):
        assert client.get(f"/c/{code}").status_code == 200
    for _ in range(10):
        assert client.get("/c/ABCDE-FGHJK").status_code == 404
    assert client.get("/c/ABCDE-FGHJM").status_code == 429
    neighbour = app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "10.77.0.2"
    assert neighbour.get(f"/c/{code}").status_code == 200


def _ask_call_back(client, code: str, **data: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/c/{code}")
    form = {"code": code, "csrf_token": hidden(page.text, "csrf_token"), **data}
    return client.post("/c/contact", data=form)


def test_a_call_back_needs_the_consent_box(app, code):
    """Without the ticked consent, the number is not stored (422) and the message says why."""
    reply = _ask_call_back(app.test_client(), code, phone="0912 345 678")
    assert reply.status_code == 422
    assert "Đồng ý: xin đánh dấu vào ô để đồng ý" in reply.text
    assert _db.session.scalars(select(CaseContact)).all() == []


@pytest.mark.parametrize("phone", ["12345", "0912 345 67", "0112345678", "abc"])
def test_a_wrong_phone_number_is_refused_naming_the_field(app, code, phone):
    """A number that is not a Vietnamese mobile or landline is refused, the typed value kept."""
    reply = _ask_call_back(app.test_client(), code, phone=phone, consent="yes")
    assert reply.status_code == 422 and f'value="{phone}"' in reply.text
    assert _db.session.scalars(select(CaseContact)).all() == []


def test_a_consented_number_is_stored_apart_and_deleted_on_close(app, db, world: World, code, as_viewer):
    """The number (normalised) and the consent statement go to case_contact; the official sees it;
    closing the case deletes it, and the audit log never holds it."""
    reply = _ask_call_back(app.test_client(), code, phone="+84 912.345.678", consent="yes")
    assert reply.status_code == 200
    contact = db.session.scalars(select(CaseContact)).one()
    assert contact.phone == "0912345678" and "91/2025" in contact.consent
    case = db.session.scalars(select(Case)).one()
    assert "0912345678" in as_viewer.get(f"/cases/{case.id}").text
    post(as_viewer, f"/cases/{case.id}/status", {"status": "closed"})
    assert db.session.scalars(select(CaseContact)).all() == []
    logged = [json.dumps([e.before, e.after]) for e in db.session.scalars(select(AuditLog))]
    # the number in any spelling (a bare "912" also matches timestamps' microseconds)
    assert not any(re.search(r"912\D?345\D?678", entry) for entry in logged)
    assert any("status" in entry for entry in logged)  # the log does hold the closing


def test_no_call_back_on_a_closed_case(app, db, code):
    """Once closed, the page offers no call back and a posted number is refused."""
    case = db.session.scalars(select(Case)).one()
    case.status, case.closed_at = "closed", case.created_at
    db.session.commit()
    client = app.test_client()
    assert 'name="phone"' not in client.get(f"/c/{code}").text
    form = client.get("/c").text
    reply = client.post(
        "/c/contact",
        data={
            "code": code,
            "phone": "0912345678",
            "consent": "yes",
            "csrf_token": hidden(form, "csrf_token"),
        },
    )
    assert reply.status_code == 422
    assert db.session.scalars(select(CaseContact)).all() == []


def test_the_call_back_form_needs_its_csrf_token(app, code):
    """A forged call-back request (no CSRF token) is refused."""
    reply = app.test_client().post("/c/contact", data={"code": code, "phone": "0912345678", "consent": "yes"})
    assert reply.status_code == 400


def test_the_thank_you_page_offers_the_call_back_form(client, world: World):
    """The call-back form on the thank-you page carries the code in the body and the consent line."""
    page = submit_and_thank(client, world.point, "Cần thêm ghế")
    code = code_on(page)
    assert f'name="code" value="{code}"' in page
    assert 'action="/c/contact"' in page and "91/2025/QH15" in page
