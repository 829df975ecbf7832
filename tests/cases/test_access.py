"""Who sees which case: a unit's viewer its own subtree; allegations only Sở Nội vụ (404 elsewhere)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from survey.extensions import db as _db
from survey.models import AuditLog, Case
from tests.cases.conftest import World, login, post
from tests.factories import make_case, make_user


@pytest.fixture
def cases(db, world: World) -> dict[str, int]:
    """A complaint and an allegation against ward 03408, and a complaint of ward 03388."""
    ids = {
        "own": make_case(world.ward, "Chờ lâu quá", point=world.point).id,
        "bribe": make_case(world.ward, "Cán bộ đòi [dãy số] tiền bồi dưỡng", category="misconduct").id,
        "other": make_case(world.other, "Thiếu ghế", point=world.other_point).id,
    }
    db.session.commit()
    return ids


def test_a_viewer_lists_only_their_units_cases_without_allegations(as_viewer, cases):
    """The ward's viewer sees its complaint; not the allegation against it, not another ward's case."""
    page = as_viewer.get("/cases/?status=all").text
    assert "Chờ lâu quá" in page
    assert "bồi dưỡng" not in page and "Thiếu ghế" not in page
    assert "<p>1 phản ánh.</p>" in page


@pytest.mark.parametrize("which", ["bribe", "other"])
def test_a_viewer_gets_404_for_an_allegation_against_them_or_another_units_case(as_viewer, cases, which):
    """The accused unit's viewer cannot open the allegation by URL, nor act on it; nor another unit's case."""
    assert as_viewer.get(f"/cases/{cases[which]}").status_code == 404
    assert post(as_viewer, f"/cases/{cases[which]}/reply", {"reply": "x"}).status_code == 404


@pytest.mark.parametrize("client_name", ["as_admin", "as_analyst"])
def test_so_noi_vu_sees_and_works_allegations(request, cases, client_name):
    """Admins and analysts open the allegation and can answer it."""
    client = request.getfixturevalue(client_name)
    assert "bồi dưỡng" in client.get(f"/cases/{cases['bribe']}").text
    assert "bồi dưỡng" in client.get("/cases/?category=misconduct").text
    reply = post(client, f"/cases/{cases['bribe']}/status", {"status": "in_progress"})
    assert reply.status_code == 303


def test_the_unit_report_counts_the_allegation_and_never_shows_it(as_viewer, cases):
    """The ward's report lists its comments and says one case was escalated, without its text."""
    page = as_viewer.get("/reports/03408?period=all").text
    assert "Chờ lâu quá" in page
    assert "bồi dưỡng" not in page
    assert "Phản ánh đã chuyển Sở Nội vụ (tố cáo tiêu cực), không hiển thị ở đây: 1." in page


def test_a_listed_account_reads_allegations_within_its_subtree_but_not_against_its_own_unit(
    app: Flask, db, world: World, cases
):
    """An account in SIPAS_CASES_ESCALATE_TO (a province viewer) reads the ward's allegation,
    but not one against the province unit itself."""
    inspector = make_user("thanhtra@laichau.gov.vn", "viewer", unit=world.province)
    own = make_case(world.province, "Cán bộ tỉnh hối lộ", category="misconduct").id
    db.session.commit()
    app.config["CASES_ESCALATE_TO"] = ("thanhtra@laichau.gov.vn",)
    client = app.test_client()
    login(client, inspector.email)
    assert client.get(f"/cases/{cases['bribe']}").status_code == 200
    assert client.get(f"/cases/{own}").status_code == 404
    app.config["CASES_ESCALATE_TO"] = ()
    assert client.get(f"/cases/{cases['bribe']}").status_code == 404


def test_a_viewer_who_escalates_a_case_loses_it(as_viewer, cases):
    """Recategorising as misconduct sends the case to Sở Nội vụ: the viewer goes back to the list and
    the case answers 404 from then on; the change is audited."""
    reply = post(as_viewer, f"/cases/{cases['own']}/category", {"category": "misconduct"})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/cases/")
    assert as_viewer.get(f"/cases/{cases['own']}").status_code == 404
    entry = _db.session.scalars(select(AuditLog).where(AuditLog.action == "case.category")).one()
    assert '"category": "complaint"' in entry.before and '"category": "misconduct"' in entry.after


def test_an_allegation_returned_to_the_unit_becomes_visible_to_it(as_admin, as_viewer, cases):
    """Sở Nội vụ recategorises a wrongly escalated comment: the unit sees it again."""
    assert post(as_admin, f"/cases/{cases['bribe']}/category", {"category": "complaint"}).status_code == 303
    assert as_viewer.get(f"/cases/{cases['bribe']}").status_code == 200


def test_anonymous_visitors_go_to_the_login_page(client, cases):
    """No case page without a login."""
    reply = client.get(f"/cases/{cases['own']}")
    assert reply.status_code == 302 and "/login" in reply.headers["Location"]


def test_a_viewer_cannot_filter_their_way_to_another_unit(as_viewer, cases):
    """Filtering the list by another unit's code answers 404."""
    assert as_viewer.get("/cases/?unit=03388").status_code == 404


def test_forms_need_a_csrf_token(as_viewer, cases):
    """A case form posted without the CSRF token is refused and changes nothing."""
    reply = as_viewer.post(f"/cases/{cases['own']}/status", data={"status": "closed"})
    assert reply.status_code == 400
    assert _db.session.get(Case, cases["own"]).status == "new"
