"""Accounts: created by an admin or `sipas create-user`, roles and units checked, changes audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey import accounts
from survey.models import AuditLog, User
from survey.validation import InputError
from tests.admin.conftest import World, login, post
from tests.factories import make_user


def user(db, email: str) -> User | None:  # type: ignore[no-untyped-def]
    return db.session.scalars(select(User).where(User.email == email)).first()


def test_admin_creates_a_viewer_who_then_logs_in(app, as_admin, db, world: World) -> None:
    """A viewer account created in the admin can log in and lands on the reports."""
    form = {
        "email": "Can.Bo@DoanKet.laichau.gov.vn",
        "role": "viewer",
        "unit_code": "03388",
        "password": "Doanket2026x",
    }
    assert post(as_admin, "/admin/users", form).status_code == 303
    created = user(db, "can.bo@doanket.laichau.gov.vn")
    assert (created.role, created.unit_id) == ("viewer", world.other.id)
    reply = login(app.test_client(), "can.bo@doanket.laichau.gov.vn", "Doanket2026x")
    assert reply.headers["Location"] == "/reports/03388"  # one unit: straight to its report
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.create")).one()
    assert "Doanket2026x" not in (entry.after or "")


def test_viewer_without_unit_is_refused(as_admin, db, world: World) -> None:
    """A viewer needs a unit; without one the form answers 422."""
    form = {"email": "x@laichau.gov.vn", "role": "viewer", "password": "Matkhau2026x"}
    reply = post(as_admin, "/admin/users", form)
    assert reply.status_code == 422
    assert user(db, "x@laichau.gov.vn") is None


def test_duplicate_email_is_refused(as_admin, world: World) -> None:
    """An e-mail already used (in any case) is refused."""
    form = {"email": "ADMIN@snv.laichau.gov.vn", "role": "admin", "password": "Matkhau2026x"}
    assert post(as_admin, "/admin/users", form).status_code == 422


def test_disabling_an_account_stops_its_login_and_is_audited(app, as_admin, db, world: World) -> None:
    """Unticking 'may log in' refuses the next login and logs before and after."""
    form = {"role": "analyst", "unit_code": ""}
    assert post(as_admin, f"/admin/users/{world.analyst.id}", form).status_code == 303
    assert login(app.test_client(), world.analyst.email).status_code == 401
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.update")).one()
    assert '"active": true' in entry.before
    assert '"active": false' in entry.after


def test_disabled_user_loses_an_open_session(app, as_admin, as_analyst, db, world: World) -> None:
    """A session of an account that gets disabled no longer opens the reports."""
    assert as_analyst.get("/reports/").status_code == 200
    post(as_admin, f"/admin/users/{world.analyst.id}", {"role": "analyst"})
    assert as_analyst.get("/reports/").status_code == 302


def test_admin_sets_a_new_password(app, as_admin, db, world: World) -> None:
    """A new password set by the admin works and the change is audited without the password."""
    form = {"role": "viewer", "unit_code": "03408", "active": "1", "password": "Tanphong2027y"}
    assert post(as_admin, f"/admin/users/{world.viewer.id}", form).status_code == 303
    assert login(app.test_client(), world.viewer.email, "Tanphong2027y").status_code == 303
    assert db.session.scalars(select(AuditLog.after).where(AuditLog.action == "user.password")).one() is None


def test_cli_create_user_reads_the_password_from_stdin(app, runner, db, world: World) -> None:
    """`sipas create-user EMAIL --role viewer --unit CODE` takes the password from stdin."""
    args = ["sipas", "create-user", "ubnd@tanphong.laichau.gov.vn", "--role", "viewer", "--unit", "03408"]
    result = runner.invoke(args=args, input="Tanphong2026z\n")
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "ubnd@tanphong.laichau.gov.vn", "Tanphong2026z").status_code == 303
    assert (
        db.session.scalars(select(AuditLog.actor).where(AuditLog.action == "user.create"))
        .one()
        .startswith("cli:")
    )


def test_cli_create_user_errors_are_one_line(runner, db, world: World) -> None:
    """A weak password, an unknown unit or a viewer without unit exit non-zero with one line."""
    weak = runner.invoke(args=["sipas", "create-user", "a@b.vn", "--role", "admin"], input="short\n")
    assert weak.exit_code != 0
    assert (
        weak.output.strip()
        == "Error: The password must have at least 10 characters, with both letters and digits."
    )
    unknown = runner.invoke(
        args=["sipas", "create-user", "a@b.vn", "--role", "viewer", "--unit", "NOPE"], input="x\n"
    )
    assert "--unit: unknown unit code 'NOPE'" in unknown.output
    no_unit = runner.invoke(
        args=["sipas", "create-user", "a@b.vn", "--role", "viewer"], input="Matkhau2026x\n"
    )
    assert no_unit.exit_code != 0
    assert user(db, "a@b.vn") is None


def test_admin_cannot_demote_or_disable_themselves(as_admin, db, world: World) -> None:
    """An admin's own role change or deactivation is refused in Vietnamese and changes nothing."""
    make_user("second@snv.laichau.gov.vn", "admin")
    db.session.commit()
    for form in ({"role": "analyst", "active": "1"}, {"role": "admin"}):
        reply = post(as_admin, f"/admin/users/{world.admin.id}", form)
        assert reply.status_code == 422
        assert "Vai trò: không thể tự bỏ vai trò quản trị" in reply.text
    assert (world.admin.role, world.admin.active) == ("admin", True)


def test_another_admin_can_be_demoted_while_one_stays(as_admin, db, world: World) -> None:
    """Demoting a second admin works, because an active admin remains."""
    second = make_user("second@snv.laichau.gov.vn", "admin")
    db.session.commit()
    assert post(as_admin, f"/admin/users/{second.id}", {"role": "analyst", "active": "1"}).status_code == 303
    assert second.role == "analyst"


def test_the_last_active_admin_cannot_be_removed(app, db, world: World) -> None:
    """Outside a request (no acting admin), demoting the only active admin raises InputError."""
    with (
        app.test_request_context("/"),
        pytest.raises(InputError, match="Vai trò: đây là tài khoản quản trị cuối cùng"),
    ):
        accounts.update_user(world.admin, "analyst", None, True)


def test_password_change_ends_the_accounts_other_sessions(app, as_admin, as_viewer, db, world: World) -> None:
    """After an admin sets a new password, a session opened with the old one must log in again."""
    assert as_viewer.get("/reports/").status_code == 200
    form = {"role": "viewer", "unit_code": "03408", "active": "1", "password": "Tanphong2027y"}
    assert post(as_admin, f"/admin/users/{world.viewer.id}", form).status_code == 303
    assert as_viewer.get("/reports/").status_code == 302
    fresh = app.test_client()
    assert login(fresh, world.viewer.email, "Tanphong2027y").status_code == 303
    assert fresh.get("/reports/").status_code == 200


def test_own_password_change_keeps_the_admins_session(as_admin, db, world: World) -> None:
    """An admin who changes their own password stays logged in on the page where they did it."""
    form = {"role": "admin", "active": "1", "password": "Nguoiquantri2027"}
    assert post(as_admin, f"/admin/users/{world.admin.id}", form).status_code == 303
    assert as_admin.get("/admin/").status_code == 200
