"""Request-level defences: body limits per route, headers of officials' pages, API bounds."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from survey.models import ReceiptCode, Response
from tests.admin.conftest import World, login, post
from tests.factories import make_open_point
from tests.survey_client import open_form, post_answers, turn_page


def test_survey_post_over_its_limit_is_413_in_vietnamese_without_reading_it(db, client) -> None:
    """A 100 KB survey POST (limit 64 KB) answers 413 with the Vietnamese page, not 500 or 422."""
    point = make_open_point()
    t, token = open_form(client, point.token)
    reply = post_answers(client, point.token, t, token, {"C1": "x" * 100_000})
    assert reply.status_code == 413
    assert "Câu trả lời quá dài" in reply.text
    assert "x" * 100 not in reply.text  # the comment is not echoed back
    assert db.session.scalar(select(func.count(Response.id))) == 0


def test_survey_post_within_its_limit_is_stored(db, client) -> None:
    """A survey POST under 64 KB goes through as before (the limit is not too tight)."""
    point = make_open_point()
    t, token = open_form(client, point.token)
    assert (
        post_answers(client, point.token, t, token, {"B1.1": "5", "C1": "ý kiến " * 100}).status_code == 303
    )
    assert db.session.scalar(select(func.count(Response.id))) == 1


def test_upload_over_the_configured_limit_is_413_in_vietnamese(app, as_admin, world: World) -> None:
    """An import larger than SIPAS_UPLOAD_MAX_BYTES answers the Vietnamese 413 page (it was a bare 500)."""
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    files = {"file": (io.BytesIO(b"a" * 60_000), "big.csv")}
    reply = post(as_admin, "/admin/imports/responses", files, content_type="multipart/form-data")
    assert reply.status_code == 413
    assert "Tệp quá lớn" in reply.text


def test_upload_limit_default_is_20_mb(app) -> None:
    """Uploads may be 20 MB by default; the survey 64 KB."""
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
    assert app.config["SIPAS_SURVEY_MAX_BYTES"] == 64 * 1024


def test_officials_pages_are_never_stored_by_the_browser(as_admin, client, world: World) -> None:
    """Admin, reports, API and login answers carry Cache-Control: no-store; the survey does not need it."""
    for url in ("/admin/", "/reports/", "/api/v1/units"):
        assert as_admin.get(url).headers.get("Cache-Control") == "no-store", url
    assert client.get("/login").headers.get("Cache-Control") == "no-store"
    assert client.get(f"/s/{world.point.token}").headers.get("Cache-Control") != "no-store"


def test_hsts_when_the_base_url_is_https(app, client, world: World) -> None:
    """With an https base URL every answer tells the browser to keep to https; with http it does not."""
    assert "max-age=31536000" in client.get("/login").headers["Strict-Transport-Security"]
    app.config["SIPAS_BASE_URL"] = "http://127.0.0.1:5000"
    assert "Strict-Transport-Security" not in client.get("/login").headers


def _api_key(as_admin) -> str:  # type: ignore[no-untyped-def]
    import re

    page = post(as_admin, "/admin/api-keys", {"name": "one-stop"}).text
    return re.search(r"sipas_[A-Za-z0-9_\-]+", page).group(0)  # type: ignore[union-attr]


def test_api_count_out_of_range_or_not_an_integer_is_422(as_admin, client, db, world: World) -> None:
    """count=1e400 (JSON infinity), a string, a fraction or a boolean is 422 naming the field, never 500."""
    key = _api_key(as_admin)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    for raw in ("1e400", '"5"', "2.5", "true", "0", "1001"):
        body = f'{{"unit_code": "03408", "point_code": "Q01", "count": {raw}}}'
        reply = client.post("/api/v1/receipt-codes", data=body, headers=headers)
        assert reply.status_code == 422, raw
        assert "count" in reply.get_json()["message"]
    assert db.session.scalar(select(func.count(ReceiptCode.id))) == 0


def test_api_key_is_throttled_per_key_and_per_code_budget(app, as_admin, client, world: World) -> None:
    """A key past its request budget, or its daily budget of codes, gets 429; a second key does not."""
    app.config.update(API_LIMIT_PER_KEY="3 per minute", API_CODES_PER_KEY="25 per day")
    key, other = _api_key(as_admin), _api_key(as_admin)
    body = {"unit_code": "03408", "point_code": "Q01", "count": 10}

    def mint(k: str) -> int:
        return client.post(
            "/api/v1/receipt-codes", json=body, headers={"Authorization": f"Bearer {k}"}
        ).status_code

    assert [mint(key), mint(key), mint(key)] == [201, 201, 429]  # 30 codes > 25 a day
    assert mint(other) == 201
    app.config.update(API_CODES_PER_KEY="1000 per day")
    assert [mint(other), mint(other), mint(other)] == [201, 201, 429]  # 4th request in a minute


def test_fresh_form_loads_have_a_budget_per_address(app, db) -> None:
    """GET /s/<token> without a form-load token is budgeted per address; other addresses are not."""
    app.config["SURVEY_LIMIT_FORM_LOADS"] = "5 per minute"
    point = make_open_point()
    client = app.test_client()
    statuses = []
    for _ in range(6):
        client.delete_cookie("sipas_device")  # a phone clearing its cookies
        statuses.append(client.get(f"/s/{point.token}").status_code)
    assert statuses == [200] * 5 + [429]
    other = app.test_client()
    assert other.get(f"/s/{point.token}", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


def test_step_two_is_not_counted_as_a_fresh_form(app, db) -> None:
    """Turning the pages of a loaded form (POSTs with the form-load token) never spends the
    fresh-form budget."""
    app.config["SURVEY_LIMIT_FORM_LOADS"] = "2 per minute"
    point = make_open_point()
    client = app.test_client()
    t, csrf = open_form(client, point.token)
    for page in ("screen", "B1", "B2", "B3", "B5"):
        assert turn_page(client, point.token, t, csrf, {}, page=page).status_code == 200


def test_login_page_is_no_store_even_when_throttled(app, world: World) -> None:
    """A 429 from the login form is not cached either."""
    client = app.test_client()
    for _ in range(6):
        reply = login(client, world.admin.email, "wrong-password-1")
    assert reply.status_code == 429
    assert reply.headers["Cache-Control"] == "no-store"
