"""A case from new to closed, worked through its page; every change in the audit log."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from survey.extensions import db as _db
from survey.models import AuditLog, Case, CaseContact, CaseNote
from tests.cases.conftest import World, post
from tests.factories import make_case, make_user


@pytest.fixture
def case_id(db, world: World) -> int:
    case = make_case(world.ward, "Cán bộ hướng dẫn chưa rõ", point=world.point)
    db.session.commit()
    return case.id


def audit(action: str) -> list[AuditLog]:
    return list(_db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_a_viewer_takes_a_case_from_new_to_closed(as_viewer, world: World, case_id):
    """In progress, assigned, noted, answered, closed: the case records each step and its times."""
    for url, data in [
        ("status", {"status": "in_progress"}),
        ("assign", {"assignee": str(world.viewer.id)}),
        ("note", {"note": "Đã gọi bộ phận một cửa kiểm tra."}),
        ("reply", {"reply": "Cảm ơn Ông/Bà. Đơn vị đã bố trí thêm cán bộ hướng dẫn."}),
        ("status", {"status": "closed"}),
    ]:
        reply = post(as_viewer, f"/cases/{case_id}/{url}", data)
        assert reply.status_code == 303, (url, reply.text[:300])
    case = _db.session.get(Case, case_id)
    assert (case.status, case.assignee_id) == ("closed", world.viewer.id)
    assert case.reply.startswith("Cảm ơn Ông/Bà") and case.answered_at is not None
    assert case.closed_at is not None and case.closed_at >= case.answered_at
    assert [n.text for n in case.notes] == ["Đã gọi bộ phận một cửa kiểm tra."]
    assert case.notes[0].author == world.viewer.email


def test_every_change_is_audited_with_who_before_and_after(as_viewer, world: World, case_id):
    """Status, assignee, note and reply changes each leave an entry naming the official and the values."""
    post(as_viewer, f"/cases/{case_id}/status", {"status": "in_progress"})
    post(as_viewer, f"/cases/{case_id}/assign", {"assignee": str(world.viewer.id)})
    post(as_viewer, f"/cases/{case_id}/note", {"note": "Ghi chú nội bộ"})
    post(as_viewer, f"/cases/{case_id}/reply", {"reply": "Đã khắc phục."})
    (status,) = audit("case.status")
    assert (
        status.actor == world.viewer.email
        and status.target_type == "case"
        and status.target_id == str(case_id)
    )
    assert (
        json.loads(status.before)["status"] == "new" and json.loads(status.after)["status"] == "in_progress"
    )
    (assign,) = audit("case.assign")
    assert json.loads(assign.before)["assignee"] is None
    assert json.loads(assign.after)["assignee"] == world.viewer.email
    (note,) = audit("case.note")
    assert json.loads(note.after) == {"note": "Ghi chú nội bộ"}
    (reply,) = audit("case.reply")
    assert (
        json.loads(reply.after)["status"] == "answered"
        and json.loads(reply.after)["reply"] == "Đã khắc phục."
    )


def test_answered_needs_a_published_reply(as_viewer, case_id):
    """Setting 'answered' without a reply is refused on the page (422), naming the reason; nothing changes."""
    reply = post(as_viewer, f"/cases/{case_id}/status", {"status": "answered"})
    assert reply.status_code == 422
    assert "Tình trạng: cần viết và công bố nội dung trả lời trước." in reply.text
    assert _db.session.get(Case, case_id).status == "new"
    assert audit("case.status") == []


def test_an_empty_reply_is_refused_and_a_typed_note_is_kept(as_viewer, case_id):
    """An empty reply answers 422; the note typed with an over-long text comes back in the form."""
    assert post(as_viewer, f"/cases/{case_id}/reply", {"reply": "   "}).status_code == 422
    long_note = "x" * 4001
    page = post(as_viewer, f"/cases/{case_id}/note", {"note": long_note})
    assert page.status_code == 422 and long_note in page.text
    assert _db.session.scalars(select(CaseNote)).all() == []


def test_a_case_cannot_be_assigned_to_someone_who_may_not_read_it(as_viewer, db, world: World, case_id):
    """The viewer of another ward is not a possible assignee: 422, nobody assigned."""
    stranger = make_user("viewer@doanket.laichau.gov.vn", "viewer", unit=world.other)
    db.session.commit()
    reply = post(as_viewer, f"/cases/{case_id}/assign", {"assignee": str(stranger.id)})
    assert reply.status_code == 422
    assert _db.session.get(Case, case_id).assignee_id is None


def test_reopening_a_closed_case_clears_its_close(as_viewer, case_id):
    """A closed case set back in progress is open again, without a close time."""
    post(as_viewer, f"/cases/{case_id}/status", {"status": "closed"})
    post(as_viewer, f"/cases/{case_id}/status", {"status": "in_progress"})
    case = _db.session.get(Case, case_id)
    assert (case.status, case.closed_at) == ("in_progress", None)


def test_closing_deletes_the_call_back_number_and_the_audit_never_holds_it(as_viewer, db, case_id):
    """The consented phone number is deleted when the case closes; no audit entry contains it."""
    case = _db.session.get(Case, case_id)
    db.session.add(CaseContact(case=case, phone="0912345678", consent="Tôi đồng ý …", language="vi"))
    db.session.commit()
    assert "0912345678" in as_viewer.get(f"/cases/{case_id}").text
    post(as_viewer, f"/cases/{case_id}/status", {"status": "closed"})
    assert _db.session.scalars(select(CaseContact)).all() == []
    (deleted,) = audit("case.contact_delete")
    assert json.loads(deleted.after) == {"reason": "closed"}
    entries = _db.session.scalars(select(AuditLog)).all()
    assert not any("0912345678" in (e.before or "") + (e.after or "") for e in entries)
