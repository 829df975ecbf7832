"""Sessions end on the server at logout; log-in throttling slows guessing, not the office."""

from __future__ import annotations

from sqlalchemy import select

from survey.models import AuditLog
from tests.admin.conftest import World, csrf, login, post
from tests.factories import PASSWORD


def test_a_copied_session_cookie_stops_working_after_logout(app, world: World) -> None:
    """A session cookie copied before logout is refused afterwards (it worked for 10 hours before)."""
    browser = app.test_client()
    assert login(browser, world.admin.email).status_code == 303
    stolen = browser.get_cookie("session").value
    assert post(browser, "/logout").status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/admin/").status_code == 302  # to the login page
    assert thief.get("/api/v1/units").status_code == 401


def test_logout_ends_the_accounts_other_sessions_too(app, world: World) -> None:
    """Logging out on one computer ends the account's sessions on every other one."""
    office, home = app.test_client(), app.test_client()
    login(office, world.analyst.email)
    login(home, world.analyst.email)
    assert home.get("/reports/").status_code == 200
    post(office, "/logout")
    assert home.get("/reports/").status_code == 302
    assert login(home, world.analyst.email).status_code == 303  # and logging in again works
    assert home.get("/reports/").status_code == 200


def test_a_password_typed_as_the_e_mail_never_reaches_the_audit_log(app, db, world: World) -> None:
    """An unknown e-mail (often a password typed in the wrong box) is kept only as a digest."""
    client = app.test_client()
    reply = login(client, "Matkhau-bi-mat-2026", "whatever-1")
    assert reply.status_code == 401
    assert "Matkhau-bi-mat-2026" not in reply.text  # not echoed into the form either
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "login.failure")).all()
    assert len(entries) == 1
    assert "matkhau" not in (entries[0].actor + (entries[0].after or "") + entries[0].target_id).lower()
    assert entries[0].actor.startswith("unknown:")
    login(app.test_client(), "Matkhau-bi-mat-2026", "again-2")
    actors = db.session.scalars(select(AuditLog.actor).where(AuditLog.action == "login.failure")).all()
    assert actors[0] == actors[1]  # the same unknown name tried twice is visible as such


def test_known_accounts_failures_are_audited_by_account(app, db, world: World) -> None:
    """A wrong password for a real account is audited under that account's e-mail."""
    login(app.test_client(), world.viewer.email, "wrong-password-1")
    actor = db.session.scalar(select(AuditLog.actor).where(AuditLog.action == "login.failure"))
    assert actor == world.viewer.email


def test_account_backoff_doubles_after_the_free_failures(app, world: World) -> None:
    """After 5 failures the account waits 30 s (Retry-After), then 60 s after the next failure."""
    client = app.test_client()
    assert [login(client, world.admin.email, "wrong-password-1").status_code for _ in range(5)] == [401] * 5
    blocked = login(client, world.admin.email)
    assert blocked.status_code == 429
    assert 25 <= int(blocked.headers["Retry-After"]) <= 30
    from survey.extensions import limiter

    with app.app_context():
        from survey.auth.throttle import account_digest

        limiter.storage.clear(f"login-block:{account_digest(world.admin.email)}")  # the 30 s have passed
    assert login(client, world.admin.email, "wrong-password-2").status_code == 401
    again = login(client, world.admin.email)
    assert again.status_code == 429 and 55 <= int(again.headers["Retry-After"]) <= 60


def test_a_full_address_budget_does_not_lock_out_a_known_browser(app, world: World) -> None:
    """Past the address budget strangers get 429, but an official's usual browser still logs in."""
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = "10 per 15 minutes"
    usual = app.test_client()
    assert login(usual, world.analyst.email).status_code == 303  # the browser becomes known
    post(usual, "/logout")
    statuses = [login(app.test_client(), f"guess{n}@x.vn", "nope-12345").status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]
    assert login(app.test_client(), world.viewer.email).status_code == 429  # a new browser waits
    assert login(usual, world.analyst.email).status_code == 303  # the usual one does not


def test_strangers_locking_an_account_do_not_lock_its_owner(app, world: World) -> None:
    """Guesses from other browsers put the account in backoff for them, not for its owner's browser."""
    owner = app.test_client()
    assert login(owner, world.admin.email).status_code == 303
    post(owner, "/logout")
    attacker = app.test_client()
    for _ in range(6):
        login(attacker, world.admin.email, "wrong-password-1")
    assert login(attacker, world.admin.email).status_code == 429
    assert login(owner, world.admin.email, PASSWORD).status_code == 303


def test_a_right_password_never_counts_against_the_address(app, world: World) -> None:
    """Successful log-ins from one address do not use up its budget of failures."""
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = "3 per 15 minutes"
    for _ in range(6):
        client = app.test_client()
        assert login(client, world.viewer.email).status_code == 303
    assert login(app.test_client(), world.analyst.email).status_code == 303


def test_forged_known_browser_cookie_counts_for_nothing(app, world: World) -> None:
    """A made-up 'known browser' cookie does not escape the address budget."""
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = "2 per 15 minutes"
    for n in range(2):
        login(app.test_client(), f"g{n}@x.vn", "nope-12345")
    client = app.test_client()
    client.set_cookie("sipas_known", "WyJhYmMiXQ.forged", path="/login")
    token = csrf(client)
    reply = client.post(
        "/login", data={"email": world.admin.email, "password": PASSWORD, "csrf_token": token}
    )
    assert reply.status_code == 429
