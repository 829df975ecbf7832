"""The audit log: append-only in the ORM and the database, one entry per admin write, filterable."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from survey import audit
from survey.models import AuditLog, AuditLogIsAppendOnly
from tests.admin.conftest import World, post

# Every admin write and the audit action it must leave.
ACTIONS = [
    (
        "/admin/units/03408/edit",
        {"name": "Phường Tân Phong", "kind": "ward", "parent_code": "12"},
        "unit.update",
    ),
    ("/admin/units/03388/retire", {"successor_code": "03408", "valid_to": "2025-12-31"}, "unit.retire"),
    ("/admin/units/03408/points", {"code": "Q05", "name": "Quầy 5"}, "point.create"),
    (
        "/admin/points/{point}/edit",
        {"code": "Q01", "name": "Quầy 1", "opening_hours": "mon-fri"},
        "point.update",
    ),
    ("/admin/points/{point}/deactivate", {}, "point.deactivate"),
    ("/admin/points/{point}/activate", {}, "point.activate"),
    ("/admin/points/{point}/rotate", {}, "point.rotate"),
    ("/admin/points/{point}/revoke", {}, "point.revoke"),
    (
        "/admin/periods",
        {"code": "P2", "name": "P2", "starts_on": "2030-01-01", "ends_on": "2030-12-31"},
        "period.create",
    ),
    ("/admin/periods/2026/close", {}, "period.close"),
    ("/admin/periods/2026/open", {}, "period.open"),
    ("/admin/users", {"email": "n@x.vn", "role": "analyst", "password": "Matkhau2026x"}, "user.create"),
    ("/admin/users/{viewer}", {"role": "viewer", "unit_code": "03408", "active": "1"}, "user.update"),
    ("/admin/api-keys", {"name": "Một cửa"}, "api_key.create"),
    ("/admin/points/{point}/receipt-codes", {"count": "2"}, "receipt.mint"),
]


def cell(action: str) -> str:
    return f'<td class="code">{action}</td>'


@pytest.mark.parametrize(("path", "form", "action"), ACTIONS, ids=[a for _p, _f, a in ACTIONS])
def test_each_admin_write_leaves_an_entry(
    as_admin, db, world: World, path: str, form: dict, action: str
) -> None:  # type: ignore[type-arg]
    """The admin action writes one entry naming the admin, the action and the object."""
    url = path.format(point=world.point.id, viewer=world.viewer.id)
    reply = post(as_admin, url, form)
    assert reply.status_code in (200, 303), reply.text[:500]
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()
    assert len(entries) == 1
    assert entries[0].actor == world.admin.email
    assert entries[0].actor_id == world.admin.id


def test_orm_refuses_to_change_or_delete_an_entry(db) -> None:
    """Changing or deleting an audit entry through the ORM raises."""
    entry = audit.record("test.action", "unit", "X", actor="cli")
    db.session.commit()
    entry.action = "changed"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"])
def test_database_refuses_to_change_or_delete_an_entry(db, statement: str) -> None:
    """Raw SQL that changes or deletes audit entries fails in the database (triggers)."""
    audit.record("test.action", "unit", "X", actor="cli")
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.scalars(select(AuditLog.action)).all() == ["test.action"]


def test_audit_page_filters_by_action_and_actor(as_admin, db, world: World) -> None:
    """The audit page lists entries newest first and filters by action and by who."""
    post(as_admin, f"/admin/points/{world.point.id}/deactivate")
    page = as_admin.get("/admin/audit", query_string={"action": "point."}).text
    assert cell("point.deactivate") in page
    assert cell("login.success") not in page
    logins = as_admin.get("/admin/audit", query_string={"action": "login.", "actor": "admin@"}).text
    assert cell("login.success") in logins
    assert cell("point.deactivate") not in logins


def test_audit_page_filters_by_date(as_admin, db, world: World) -> None:
    """A date range before any entry shows none."""
    page = as_admin.get("/admin/audit", query_string={"since": "2000-01-01", "until": "2000-01-02"}).text
    assert "0 mục" in page


def test_audit_actor_filter_ignores_case_on_every_database(as_admin, db, world: World) -> None:
    """Searching 'nguyen' finds the actor 'cli:Nguyen' on SQLite and PostgreSQL alike."""
    audit.record("test.action", "unit", "X", actor="cli:Nguyen")
    db.session.commit()
    page = as_admin.get("/admin/audit", query_string={"actor": "nguyen"}).text
    assert "cli:Nguyen" in page


@pytest.mark.parametrize("typed", ["%", "_"])
def test_audit_actor_filter_treats_wildcards_as_text(as_admin, db, world: World, typed: str) -> None:
    """A '%' or '_' typed in the Who filter matches only actors containing it, not every entry."""
    assert "0 mục" in as_admin.get("/admin/audit", query_string={"actor": typed}).text


def test_audit_invalid_date_is_an_error_naming_the_field(as_admin, db, world: World) -> None:
    """A From date that is not a date answers 422 naming the field, instead of listing everything."""
    reply = as_admin.get("/admin/audit", query_string={"since": "31/12/2025"})
    assert reply.status_code == 422
    assert "Từ ngày: &#39;31/12/2025&#39; không phải ngày (NNNN-TT-NN)." in reply.text
    assert cell("login.success") not in reply.text
