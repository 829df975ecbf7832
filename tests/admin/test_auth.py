"""Log-in, log-out, throttling, password rules and the session cookie."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from survey.models import AuditLog
from tests.admin.conftest import World, csrf, login, post
from tests.factories import PASSWORD, make_user


def audit_actions(db) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(e.action, e.actor) for e in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_login_redirects_by_role_and_is_audited(client, db, world: World) -> None:
    """A correct login answers 303 to the role's home page and writes a login.success entry."""
    reply = login(client, "ADMIN@snv.laichau.gov.vn")
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/admin/"
    assert ("login.success", world.admin.email) in audit_actions(db)
    viewer = login(client.application.test_client(), world.viewer.email)
    assert viewer.headers["Location"] == "/reports/03408"  # a viewer of one unit: its report


def test_wrong_password_is_401_and_audited(client, db, world: World) -> None:
    """A wrong password re-shows the form (401) and writes a login.failure entry."""
    reply = login(client, world.admin.email, "wrong-password-1")
    assert reply.status_code == 401
    assert "Sai thư điện tử hoặc mật khẩu" in reply.text
    assert ("login.failure", world.admin.email) in audit_actions(db)


def test_disabled_account_cannot_log_in(client, db, world: World) -> None:
    """An account that may not log in is refused like a wrong password."""
    world.analyst.active = False
    db.session.commit()
    assert login(client, world.analyst.email).status_code == 401


def test_next_goes_back_to_the_page_asked_for_but_never_off_site(app, world: World) -> None:
    """After login the user returns to `next` when it is a local path, never to another site."""
    client = app.test_client()
    token = csrf(client)
    data = {"email": world.admin.email, "password": "Matkhau2026", "csrf_token": token}
    assert client.post("/login?next=/admin/audit", data=data).headers["Location"] == "/admin/audit"
    other = app.test_client()
    data["csrf_token"] = csrf(other)
    assert other.post("/login?next=//evil.example/x", data=data).headers["Location"] == "/admin/"


def test_repeated_failures_for_one_account_are_throttled(app, world: World) -> None:
    """The sixth failed attempt on one account within 15 minutes answers 429, even with the right password."""
    client = app.test_client()
    for _ in range(5):
        assert login(client, world.admin.email, "wrong-password-1").status_code == 401
    assert login(client, world.admin.email, "wrong-password-1").status_code == 429
    assert login(client, world.admin.email).status_code == 429


def test_one_locked_account_does_not_lock_out_the_office(app, world: World) -> None:
    """Behind one address, colleagues still log in after one account is throttled and others mistype."""
    client = app.test_client()
    for _ in range(6):
        login(client, world.admin.email, "wrong-password-1")
    for n in range(12):
        assert login(app.test_client(), f"someone{n}@laichau.gov.vn", "nope-12345").status_code == 401
    assert login(app.test_client(), world.analyst.email).status_code == 303


def test_many_failures_from_one_client_are_throttled(app, world: World) -> None:
    """A client guessing across many accounts is throttled after 60 failures in 15 minutes."""
    statuses = [login(app.test_client(), f"guess{n}@x.vn", "nope-12345").status_code for n in range(61)]
    assert statuses[:60] == [401] * 60
    assert statuses[60] == 429


def test_logout_ends_the_session(as_admin, world: World) -> None:
    """POST /logout answers 303 to /login and the admin pages then ask to log in again."""
    reply = post(as_admin, "/logout")
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/login"
    assert as_admin.get("/admin/").status_code == 302


def test_logout_needs_post(as_admin, world: World) -> None:
    """GET /logout does not exist: a link or image cannot log an official out."""
    assert as_admin.get("/logout").status_code == 405


def test_session_cookie_is_httponly_and_samesite(app, world: World) -> None:
    """The session cookie set at login is HttpOnly and SameSite=Lax."""
    client = app.test_client()
    reply = login(client, world.admin.email)
    cookie = next(c for c in reply.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_starts_a_new_session(app, world: World) -> None:
    """The session before login (and its CSRF token) is not the session after it (no fixation)."""
    client = app.test_client()
    before = csrf(client)
    login(client, world.admin.email)
    reply = client.post("/admin/periods", data={"csrf_token": before, "code": "x"})
    assert reply.status_code == 400


def test_password_rules_are_explained_in_vietnamese(as_admin, db, world: World) -> None:
    """A too-simple password is refused with a Vietnamese message naming the rule."""
    reply = post(
        as_admin, "/admin/users", {"email": "new@laichau.gov.vn", "role": "analyst", "password": "abc"}
    )
    assert reply.status_code == 422
    assert "ít nhất 10 ký tự" in reply.text


def test_user_passwords_are_stored_as_argon2_hashes(db) -> None:
    """A password is kept only as an argon2id hash."""
    user = make_user(password="Matkhau2026")
    assert user.password_hash.startswith("$argon2id$")
    assert "Matkhau2026" not in user.password_hash


@pytest.mark.parametrize(
    "target", ["/%09/evil.example", "/%0A/evil.example", "/%5Cevil.example", "/%20/evil.example", "http:evil"]
)
def test_next_with_control_characters_or_backslashes_stays_on_site(app, world: World, target: str) -> None:
    """A `next` that a browser would turn into another site (tab, newline, space, backslash) goes home."""
    client = app.test_client()
    data = {"email": world.admin.email, "password": PASSWORD, "csrf_token": csrf(client)}
    reply = client.post(f"/login?next={target}", data=data)
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/admin/"


class ArgonCounter:
    """Counts the argon2 hashes and verifications made while it is installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hashes = self.verifies = 0
        real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

        def counted_hash(hasher, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.hashes += 1
            return real_hash(hasher, *args, **kwargs)

        def counted_verify(hasher, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.verifies += 1
            return real_verify(hasher, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, "hash", counted_hash)
        monkeypatch.setattr(PasswordHasher, "verify", counted_verify)

    def reset(self) -> None:
        self.hashes = self.verifies = 0


def test_unknown_email_costs_the_same_argon2_work_as_a_known_one(app, world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A login for an e-mail with no account makes one verification and no hash, like a wrong password."""
    counter = ArgonCounter(monkeypatch)
    login(app.test_client(), "nobody@laichau.gov.vn", "nope-12345")  # may make the one dummy hash
    counter.reset()
    assert login(app.test_client(), "nobody2@laichau.gov.vn", "nope-12345").status_code == 401
    unknown = (counter.hashes, counter.verifies)
    counter.reset()
    assert login(app.test_client(), world.admin.email, "wrong-password-1").status_code == 401
    assert unknown == (counter.hashes, counter.verifies) == (0, 1)
