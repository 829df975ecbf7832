"""Survey periods: create, open (one at a time), close; a closed survey answers 410."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from survey.models import AuditLog, Period, Response
from tests.admin.conftest import World, post
from tests.survey_client import open_form, post_answers


def period(db, code: str) -> Period:  # type: ignore[no-untyped-def]
    return db.session.scalars(select(Period).where(Period.code == code)).one()


def test_create_period_closed(as_admin, db, world: World) -> None:
    """A new period is created closed and the creation is audited."""
    form = {"code": "2027", "name": "Năm 2027", "starts_on": "2027-01-01", "ends_on": "2027-12-31"}
    assert post(as_admin, "/admin/periods", form).status_code == 303
    assert period(db, "2027").is_open is False
    assert (
        db.session.scalars(select(AuditLog.target_id).where(AuditLog.action == "period.create")).one()
        == "2027"
    )


def test_period_form_errors_are_shown(as_admin, db, world: World) -> None:
    """Dates in the wrong order or a code in use answer 422 with the reason."""
    backwards = {"code": "X", "name": "X", "starts_on": "2027-12-31", "ends_on": "2027-01-01"}
    assert post(as_admin, "/admin/periods", backwards).status_code == 422
    taken = {"code": "2026", "name": "X", "starts_on": "2027-01-01", "ends_on": "2027-12-31"}
    reply = post(as_admin, "/admin/periods", taken)
    assert reply.status_code == 422
    assert "đã được dùng" in reply.text


def test_closing_the_period_makes_the_survey_410(as_admin, client, db, world: World) -> None:
    """After closing the open period the survey answers 410 and the close is audited."""
    assert post(as_admin, "/admin/periods/2026/close").status_code == 303
    assert client.get(f"/s/{world.point.token}").status_code == 410
    assert "period.close" in db.session.scalars(select(AuditLog.action)).all()


def test_opening_a_period_closes_the_other(as_admin, db, world: World) -> None:
    """Opening a period closes the one open before: only one is ever open."""
    form = {"code": "2026-B", "name": "Đợt B", "starts_on": "2020-01-01", "ends_on": "2099-12-31"}
    post(as_admin, "/admin/periods", form)
    assert post(as_admin, "/admin/periods/2026-B/open").status_code == 303
    assert [p.code for p in db.session.scalars(select(Period).where(Period.is_open.is_(True)))] == ["2026-B"]


def test_response_belongs_to_the_period_open_at_submit(as_admin, client, db, world: World) -> None:
    """A response is stored with the period open when it is submitted, not when the form was loaded."""
    t, csrf = open_form(client, world.point.token)
    form = {"code": "2026-B", "name": "Đợt B", "starts_on": "2020-01-01", "ends_on": "2099-12-31"}
    post(as_admin, "/admin/periods", form)
    post(as_admin, "/admin/periods/2026-B/open")
    assert post_answers(client, world.point.token, t, csrf, {"B1.1": "4"}).status_code == 303
    assert db.session.scalars(select(Response)).one().period_id == period(db, "2026-B").id


def test_unknown_period_is_404(as_admin, world: World) -> None:
    """Opening a period that does not exist is 404."""
    assert post(as_admin, "/admin/periods/NOPE/open").status_code == 404


@pytest.mark.parametrize("code", ["2026/Q1", 'Q"1', "Q1\nX", "..", "Quý 1"])
def test_period_code_must_be_plain(as_admin, db, world: World, code: str) -> None:
    """A period code with a slash, quote, line break, space or only dots is refused naming the field."""
    form = {"code": code, "name": "Quý 1", "starts_on": "2027-01-01", "ends_on": "2027-03-31"}
    reply = post(as_admin, "/admin/periods", form)
    assert reply.status_code == 422
    assert "Mã: " in reply.text
    assert "chỉ được gồm chữ cái A-Z không dấu, chữ số" in reply.text
    assert db.session.scalars(select(Period.code)).all() == ["2026"]


def test_a_plain_period_code_can_be_opened_by_its_url(as_admin, db, world: World) -> None:
    """A period with dots, dashes and underscores in its code is reachable at its open URL."""
    form = {"code": "2027_Q1.a-b", "name": "Quý 1", "starts_on": "2027-01-01", "ends_on": "2027-03-31"}
    assert post(as_admin, "/admin/periods", form).status_code == 303
    assert post(as_admin, "/admin/periods/2027_Q1.a-b/open").status_code == 303
    assert period(db, "2027_Q1.a-b").is_open is True


def test_admin_home_shows_no_open_period_when_the_survey_is_closed(as_admin, db, world: World) -> None:
    """A period marked open whose dates have passed is not shown as open, since the survey answers 410."""
    current = period(db, "2026")
    current.starts_on, current.ends_on = date(2020, 1, 1), date(2020, 12, 31)
    db.session.commit()
    assert "Không có đợt nào đang mở" in as_admin.get("/admin/").text
