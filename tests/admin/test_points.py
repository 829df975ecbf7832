"""Counters: create, edit, activate/deactivate, and rotate or revoke the QR token."""

from __future__ import annotations

from sqlalchemy import select

from survey.models import AuditLog, RetiredToken, ServicePoint
from tests.admin.conftest import World, post


def actions(db) -> list[str]:  # type: ignore[no-untyped-def]
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_create_counter_under_a_unit(as_admin, db, world: World) -> None:
    """A new counter is active, has a token and opening hours, and the creation is audited."""
    form = {"code": "Q02", "name": "Quầy Đất đai", "opening_hours": "mon-fri 07:30-11:30"}
    reply = post(as_admin, "/admin/units/03408/points", form)
    assert reply.status_code == 303
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == "Q02"))
    assert (point.unit_id, point.active, point.opening_hours) == (world.ward.id, True, "mon-fri 07:30-11:30")
    assert len(point.token) >= 22
    assert "point.create" in actions(db)


def test_duplicate_counter_code_in_a_unit_is_refused(as_admin, db, world: World) -> None:
    """A counter code already used in the unit answers 422 with the reason."""
    reply = post(as_admin, "/admin/units/03408/points", {"code": "Q01", "name": "Quầy trùng"})
    assert reply.status_code == 422
    assert "đã được dùng" in reply.text


def test_edit_counter(as_admin, db, world: World) -> None:
    """The edit form changes name and hours; the log holds before and after."""
    form = {"code": "Q01", "name": "Quầy Tư pháp", "opening_hours": "mon-sat 07:00-11:00"}
    assert post(as_admin, f"/admin/points/{world.point.id}/edit", form).status_code == 303
    assert world.point.name == "Quầy Tư pháp"
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "point.update")).one()
    assert "Bộ phận Một cửa" in entry.before
    assert "Quầy Tư pháp" in entry.after


def test_deactivated_counter_answers_404_and_activates_again(as_admin, client, db, world: World) -> None:
    """A deactivated counter's survey is 404; activating it brings the survey back."""
    post(as_admin, f"/admin/points/{world.point.id}/deactivate")
    assert client.get(f"/s/{world.point.token}").status_code == 404
    post(as_admin, f"/admin/points/{world.point.id}/activate")
    assert client.get(f"/s/{world.point.token}").status_code == 200
    assert actions(db)[-2:] == ["point.deactivate", "point.activate"]


def test_rotated_token_shows_a_replaced_page_and_the_new_one_works(
    as_admin, client, db, world: World
) -> None:
    """After rotation the old poster shows a 'code replaced' page (404); the new token works."""
    old = world.point.token
    assert post(as_admin, f"/admin/points/{world.point.id}/rotate").status_code == 303
    new = world.point.token
    assert new != old
    reply = client.get(f"/s/{old}")
    assert reply.status_code == 404
    assert "Mã QR này đã được thay thế" in reply.text
    assert client.get(f"/s/{new}").status_code == 200
    assert db.session.scalars(select(RetiredToken.reason)).all() == ["rotated"]
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "point.rotate")).one()
    assert old not in (entry.before + entry.after)  # the log does not hold usable tokens


def test_rotated_token_cannot_be_posted_to(as_admin, client, world: World) -> None:
    """A POST to a rotated token stores nothing and answers 404."""
    old = world.point.token
    post(as_admin, f"/admin/points/{world.point.id}/rotate")
    assert client.post(f"/s/{old}", data={}).status_code in (400, 404)


def test_revoked_token_shows_a_withdrawn_page_and_deactivates(as_admin, client, db, world: World) -> None:
    """Revoking shows 'no longer in use' for the old code and stops the counter."""
    old = world.point.token
    assert post(as_admin, f"/admin/points/{world.point.id}/revoke").status_code == 303
    reply = client.get(f"/s/{old}")
    assert reply.status_code == 404
    assert "Mã QR này không còn được sử dụng" in reply.text
    assert world.point.active is False
    assert "point.revoke" in actions(db)


def test_unknown_token_keeps_the_plain_404_page(client, world: World) -> None:
    """A token that never existed gets the usual 'not valid' page."""
    reply = client.get("/s/never-issued-token")
    assert reply.status_code == 404
    assert "đã được thay thế" not in reply.text


def test_counter_code_must_be_plain(as_admin, db, world: World) -> None:
    """A counter code with a quote or slash is refused naming the field, on create and on edit."""
    created = post(as_admin, "/admin/units/03408/points", {"code": 'Q"2', "name": "Quầy 2"})
    assert created.status_code == 422
    assert "Mã: " in created.text and "chỉ được gồm chữ cái A-Z không dấu" in created.text
    edited = post(
        as_admin,
        f"/admin/points/{world.point.id}/edit",
        {"code": "Q/1", "name": "Quầy 1", "opening_hours": "x"},
    )
    assert edited.status_code == 422
    codes = db.session.scalars(select(ServicePoint.code).where(ServicePoint.unit_id == world.ward.id)).all()
    assert codes == ["Q01"]
