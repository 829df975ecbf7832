"""Single-use receipt codes and the API keys that mint them."""

from __future__ import annotations

import hashlib
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar

import pytest
from sqlalchemy import func, select

from survey.models import ApiKey, AuditLog, ReceiptCode, Response, utcnow
from tests.admin.conftest import World, post
from tests.survey_client import hidden, open_form, post_answers


def responses(db) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(Response))


def mint(runner, count: int = 1) -> list[str]:  # type: ignore[no-untyped-def]
    result = runner.invoke(
        args=["sipas", "receipt-codes", "--unit", "03408", "--point", "Q01", "--count", str(count)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "code\turl"
    return [line.split("\t")[0] for line in lines[1:]]


def new_api_key(as_admin) -> str:  # type: ignore[no-untyped-def]
    page = post(as_admin, "/admin/api-keys", {"name": "Phần mềm một cửa phường Tân Phong"}).text
    return page.split('<p class="code">')[1].split("</p>")[0]


def test_cli_codes_are_stored_only_as_hashes(runner, db, world: World) -> None:
    """`sipas receipt-codes` prints codes with their URL; the database holds only their SHA-256."""
    codes = mint(runner, 3)
    assert len(set(codes)) == 3
    stored = set(db.session.scalars(select(ReceiptCode.code_hash)))
    assert stored == {hashlib.sha256(c.encode()).hexdigest() for c in codes}
    assert all(r.point_id == world.point.id and not r.used for r in db.session.scalars(select(ReceiptCode)))


def test_a_code_opens_the_survey_once(app, db, runner, world: World) -> None:
    """A receipt code leads to its counter's survey, is used by the response, then shows 'đã trả lời'."""
    (code,) = mint(runner)
    phone = app.test_client()
    reply = phone.get(f"/r/{code}")
    assert reply.status_code == 303
    assert reply.headers["Location"] == f"/s/{world.point.token}"
    t, csrf = open_form(phone, world.point.token)
    assert post_answers(phone, world.point.token, t, csrf, {"B1.1": "5"}).status_code == 303
    assert db.session.scalars(select(ReceiptCode)).one().used
    assert responses(db) == 1
    again = app.test_client().get(f"/r/{code}")
    assert again.status_code == 200
    assert "Đã trả lời" in again.text


def test_a_used_code_carried_by_another_phone_stores_nothing(app, db, runner, world: World) -> None:
    """A second phone that opened the same code before it was used gets 'đã trả lời' (409) and no row."""
    (code,) = mint(runner)
    first, second = app.test_client(), app.test_client()
    first.get(f"/r/{code}")
    second.get(f"/r/{code}")
    t1, c1 = open_form(first, world.point.token)
    t2, c2 = open_form(second, world.point.token)
    assert post_answers(first, world.point.token, t1, c1, {"B1.1": "4"}).status_code == 303
    late = post_answers(second, world.point.token, t2, c2, {"B1.1": "2"})
    assert late.status_code == 409
    assert "đã trả lời" in late.text
    assert responses(db) == 1


def test_two_concurrent_submissions_with_one_code_store_one_response(
    db, live_server, runner, world: World
) -> None:
    """Two phones submitting one code at the same instant over real HTTP: one wins, the other gets 409."""
    (code,) = mint(runner)
    bodies, openers = [], []
    for _ in range(2):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        opener.open(f"{live_server}/r/{code}").read()  # follows the 303 to the survey
        t = hidden(opener.open(f"{live_server}/s/{world.point.token}").read().decode(), "t")
        page = opener.open(f"{live_server}/s/{world.point.token}?t={urllib.parse.quote(t)}").read().decode()
        bodies.append(urllib.parse.urlencode({"t": t, "csrf_token": hidden(page, "csrf_token"), "B1.1": "4"}))
        openers.append(opener)
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def submit(n: int) -> None:
        barrier.wait()
        try:
            with openers[n].open(f"{live_server}/s/{world.point.token}", data=bodies[n].encode()) as reply:
                statuses.append(reply.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200, 409]  # the winner followed its 303 to the thank-you page
    db.session.expire_all()
    assert responses(db) == 1


def test_an_expired_code_is_refused_with_a_clear_page(app, db, runner, world: World) -> None:
    """A code past its expiry answers 410 with a page pointing to the counter's poster."""
    (code,) = mint(runner)
    db.session.scalars(select(ReceiptCode)).one().expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    reply = app.test_client().get(f"/r/{code}")
    assert reply.status_code == 410
    assert "hết hạn" in reply.text


def test_unknown_code_is_404(client, world: World) -> None:
    """A code that was never minted is 404."""
    assert client.get("/r/not-a-code").status_code == 404


def test_admin_page_mints_codes_for_a_counter(as_admin, db, world: World) -> None:
    """The counter's 'receipt codes' button shows the new codes once and stores their hashes."""
    page = post(as_admin, f"/admin/points/{world.point.id}/receipt-codes", {"count": "3", "ttl_days": "7"})
    assert page.status_code == 200
    assert page.text.count("https://sipas.example.vn/r/") == 3
    assert db.session.scalar(select(func.count()).select_from(ReceiptCode)) == 3
    assert db.session.scalars(select(AuditLog.action).where(AuditLog.action == "receipt.mint")).one()


def test_api_key_is_shown_once_and_stored_hashed(as_admin, db, world: World) -> None:
    """A new API key appears on the creating page only; the database holds its SHA-256."""
    key = new_api_key(as_admin)
    assert key.startswith("sipas_")
    record = db.session.scalars(select(ApiKey)).one()
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in as_admin.get("/admin/api-keys").text


def test_api_mints_codes_with_a_live_key(as_admin, client, db, world: World) -> None:
    """POST /api/v1/receipt-codes with a live key answers 201 with codes, URLs and expiry."""
    key = new_api_key(as_admin)
    reply = client.post(
        "/api/v1/receipt-codes",
        json={"unit_code": "03408", "point_code": "Q01", "count": 2, "ttl_days": 3},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert reply.status_code == 201
    codes = reply.json["codes"]
    assert len(codes) == 2
    assert codes[0]["url"] == f"https://sipas.example.vn/r/{codes[0]['code']}"
    assert codes[0]["expires_at"].endswith("Z")
    actor = db.session.scalars(select(AuditLog.actor).where(AuditLog.action == "receipt.mint")).one()
    assert actor.startswith("api-key:")


def test_api_refuses_missing_wrong_and_revoked_keys(as_admin, client, db, world: World) -> None:
    """Without a key, with a wrong one, or after revocation the API answers 401 JSON."""
    key = new_api_key(as_admin)
    body = {"unit_code": "03408", "point_code": "Q01"}
    assert client.post("/api/v1/receipt-codes", json=body).status_code == 401
    wrong = {"Authorization": "Bearer sipas_wrong"}
    assert client.post("/api/v1/receipt-codes", json=body, headers=wrong).status_code == 401
    key_id = db.session.scalars(select(ApiKey.id)).one()
    assert post(as_admin, f"/admin/api-keys/{key_id}/revoke").status_code == 303
    revoked = client.post("/api/v1/receipt-codes", json=body, headers={"Authorization": f"Bearer {key}"})
    assert revoked.status_code == 401
    assert revoked.json["status"] == 401


def test_api_unknown_counter_and_bad_count(as_admin, client, world: World) -> None:
    """An unknown counter is 404 and an impossible count 422, both JSON."""
    headers = {"Authorization": f"Bearer {new_api_key(as_admin)}"}
    missing = client.post(
        "/api/v1/receipt-codes", json={"unit_code": "03408", "point_code": "Q9"}, headers=headers
    )
    assert missing.status_code == 404
    body = {"unit_code": "03408", "point_code": "Q01", "count": 0}
    assert client.post("/api/v1/receipt-codes", json=body, headers=headers).status_code == 422


def test_cli_api_key_create_and_revoke(runner, db) -> None:
    """`sipas api-key create NAME` prints the key once; `api-key revoke ID` revokes it."""
    created = runner.invoke(args=["sipas", "api-key", "create", "Một cửa tỉnh"])
    assert created.exit_code == 0, created.output
    assert "sipas_" in created.output
    key_id = created.output.split(":")[0].removeprefix("id ")
    assert runner.invoke(args=["sipas", "api-key", "revoke", key_id]).exit_code == 0
    assert db.session.scalars(select(ApiKey)).one().revoked_at is not None
    assert runner.invoke(args=["sipas", "api-key", "revoke", "999"]).exit_code != 0


def test_a_code_that_expires_while_the_form_is_open_keeps_the_answers(app, db, runner, world: World) -> None:
    """If the code expires between opening and sending, the answers are stored anyway (not lost)."""
    (code,) = mint(runner)
    phone = app.test_client()
    phone.get(f"/r/{code}")
    t, csrf = open_form(phone, world.point.token)
    db.session.scalars(select(ReceiptCode)).one().expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert post_answers(phone, world.point.token, t, csrf, {"B1.1": "4"}).status_code == 303
    assert responses(db) == 1
    assert db.session.scalars(select(ReceiptCode)).one().used is False


@pytest.mark.parametrize(("body", "kind"), [([1], "an array"), ("x", "a string"), (3, "a number")])
def test_api_body_that_is_not_an_object_is_a_json_422(as_admin, client, world: World, body, kind) -> None:  # type: ignore[no-untyped-def]
    """A JSON body that is not an object answers 422 JSON naming the problem, not 500."""
    headers = {"Authorization": f"Bearer {new_api_key(as_admin)}"}
    reply = client.post("/api/v1/receipt-codes", json=body, headers=headers)
    assert reply.status_code == 422
    assert reply.json == {
        "error": "invalid",
        "message": f"body: expected a JSON object, got {kind}",
        "status": 422,
    }
