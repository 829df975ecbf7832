"""Rate limits on the survey count per phone, so one busy Wi-Fi address is never locked out."""

from __future__ import annotations

import shutil

from flask import request

from survey import create_app
from tests.conftest import TEST_CONFIG
from tests.factories import make_open_point
from tests.survey_client import open_form, post_answers


def test_one_phone_is_throttled_but_its_neighbour_is_not(db, app):
    """Past its per-phone budget a phone gets 429; another phone on the same address does not."""
    app.config.update(SURVEY_LIMIT_PER_DEVICE="5 per minute", SURVEY_LIMIT_PER_ADDRESS="12 per minute")
    point = make_open_point()
    first, second = app.test_client(), app.test_client()
    t1, csrf1 = open_form(first, point.token)
    t2, csrf2 = open_form(second, point.token)
    assert first.get_cookie("sipas_device").value != second.get_cookie("sipas_device").value
    statuses = [post_answers(first, point.token, t1, csrf1, {"B1.1": "8"}).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
    assert post_answers(second, point.token, t2, csrf2, {"B1.1": "8"}).status_code == 422


def test_phones_without_device_cookie_share_a_generous_address_budget(db, app):
    """Without a device cookie the limit is per address, with a larger budget than one phone's."""
    app.config.update(SURVEY_LIMIT_PER_DEVICE="5 per minute", SURVEY_LIMIT_PER_ADDRESS="12 per minute")
    point = make_open_point()
    client = app.test_client()
    t, csrf = open_form(client, point.token)
    statuses = []
    for _ in range(13):
        client.delete_cookie("sipas_device")
        statuses.append(post_answers(client, point.token, t, csrf, {"B1.1": "8"}).status_code)
    assert statuses == [422] * 12 + [429]


def test_made_up_or_fresh_device_cookies_do_not_escape_the_address_budget(db, app):
    """Forged device cookies count as none, and new phones from one address share its budget."""
    app.config.update(SURVEY_LIMIT_PER_DEVICE="5 per minute", SURVEY_LIMIT_PER_ADDRESS="12 per minute")
    point = make_open_point()
    client = app.test_client()
    t, csrf = open_form(client, point.token)
    statuses = []
    for n in range(8):
        client.set_cookie("sipas_device", f"made-up-device-id-{n:04d}.0123456789abcdef")
        statuses.append(post_answers(client, point.token, t, csrf, {"B1.1": "8"}).status_code)
    assert statuses == [422] * 8
    fresh = []
    for _ in range(5):  # each a new phone with its own real, signed cookie
        phone = app.test_client()
        t2, csrf2 = open_form(phone, point.token)
        fresh.append(post_answers(phone, point.token, t2, csrf2, {"B1.1": "8"}).status_code)
    assert fresh == [422] * 4 + [429]


def test_forged_device_cookie_is_replaced_and_not_hashed(db, client):
    """A device cookie without our signature gets a new signed one; no hash of it is stored."""
    point = make_open_point()
    client.set_cookie("sipas_device", "x" * 20)
    client.get(f"/s/{point.token}")
    value = client.get_cookie("sipas_device").value
    assert value != "x" * 20 and "." in value


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(tmp_path, sqlite_template):
    """With SIPAS_PROXY_COUNT=1 the app (and so the limiter) sees X-Forwarded-For, not the proxy."""
    path = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SIPAS_PROXY_COUNT": 1})
    seen = []

    @app.get("/_whoami")
    def whoami() -> str:
        seen.append((request.remote_addr, request.scheme))
        return ""

    app.test_client().get(
        "/_whoami",
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    assert seen == [("203.0.113.7", "https")]


def test_forged_posts_without_csrf_token_are_throttled_too(db, app):
    """POSTs without a session or CSRF token count against the address budget (400 then 429)."""
    app.config.update(SURVEY_LIMIT_PER_ADDRESS="12 per minute")
    point = make_open_point()
    client = app.test_client(use_cookies=False)
    statuses = [client.post(f"/s/{point.token}", data={"B1.1": "4"}).status_code for _ in range(13)]
    assert statuses == [400] * 12 + [429]


def test_with_rate_limiting_switched_off_login_and_health_still_work(tmp_path, sqlite_template):
    """RATELIMIT_ENABLED=False (benchmarks, a maintenance window): no limiter storage exists, so
    log-in throttling and the health check skip it instead of failing with 500."""
    from survey.extensions import db
    from tests.admin.conftest import login
    from tests.factories import make_user

    path = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "RATELIMIT_ENABLED": False}
    )
    with app.app_context():
        make_user("canbo@snv.laichau.gov.vn", "analyst")
        db.session.commit()
    client = app.test_client()
    statuses = [login(client, "canbo@snv.laichau.gov.vn", "sai-mat-khau").status_code for _ in range(8)]
    assert 500 not in statuses and 429 not in statuses
    assert login(client, "canbo@snv.laichau.gov.vn").status_code == 303
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}


def test_memory_counts_expire_without_a_timer_thread(db, app):
    """memory:// starts no thread per counted request; counts still expire and are swept."""
    import threading
    import time

    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    from survey.ratelimit import MemoryStorage

    storage = storage_from_string("memory://")
    assert isinstance(storage, MemoryStorage)
    limiter = MovingWindowRateLimiter(storage)
    one_second = parse("2 per second")
    time.sleep(0.05)  # the library's one timer of __init__ has ended
    before = {t.ident for t in threading.enumerate()}
    assert [limiter.hit(one_second, "phone-a") for _ in range(3)] == [True, True, False]
    assert limiter.hit(one_second, "phone-c")
    assert {t.ident for t in threading.enumerate()} == before  # no timer per hit
    storage.SWEEP_S = 0.0  # let the next count sweep
    time.sleep(1.05)
    assert limiter.hit(one_second, "phone-a")  # the window moved on
    # phone-a's two expired entries are swept by that later count: one entry is left, and
    # phone-c, with nothing left, is gone (not an empty list per phone for ever)
    assert len(storage.events["LIMITER/phone-a/2/1/second"]) == 1
    assert "LIMITER/phone-c/2/1/second" not in storage.events

    # Sweeping inside requests while other threads count, clear and read: nothing raises.
    errors: list[BaseException] = []

    def busy(name: str) -> None:
        try:
            for k in range(300):
                key = f"{name}-{k % 7}"
                limiter.hit(parse("3 per second"), key)
                storage.incr(f"fails-{key}", 0.001)
                storage.get(f"fails-{key}")
                if k % 5 == 0:
                    storage.clear(f"LIMITER/{key}/3/1/second")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=busy, args=(f"t{n}",)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []

    app.config.update(SURVEY_LIMIT_FORM_LOADS="1000 per minute")
    point = make_open_point()
    client = app.test_client()
    client.get(f"/s/{point.token}")
    before = threading.active_count()
    for _ in range(20):
        assert client.get(f"/s/{point.token}").status_code == 200
    assert threading.active_count() <= before


def _limited_app(**limiter_args):  # type: ignore[no-untyped-def]
    """A small Flask app with its own limiter, its idle hook skipped as the survey's is."""
    from flask import Blueprint, Flask
    from flask_limiter import Limiter

    from survey.ratelimit import skip_idle_middleware

    app = Flask(__name__)
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    limiter = Limiter(key_func=lambda: "one-address", **limiter_args)
    bp = Blueprint("b", __name__)

    @bp.get("/free")
    def free() -> str:
        return "free"

    @bp.get("/limited")
    @limiter.limit("2 per minute")
    def limited() -> str:
        return "limited"

    @limiter.limit("1 per minute")
    def helper() -> str:
        return "helped"

    @bp.get("/helped")
    def helped() -> str:
        return helper()

    app.register_blueprint(bp)
    limiter.init_app(app)
    skip_idle_middleware(app, limiter)
    return app, limiter, bp


def test_skipped_idle_hook_still_counts_every_kind_of_limit():
    """The limiter's per-request hook returns at once only while it has nothing to check."""
    app, _limiter, _bp = _limited_app()
    client = app.test_client()
    assert [client.get("/free").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/limited").status_code for _ in range(3)] == [200, 200, 429]
    assert [client.get("/helped").status_code for _ in range(2)] == [200, 429]

    # A default limit (every undecorated view) is counted by the hook, as without the skip.
    app, _limiter, _bp = _limited_app(default_limits=["3 per minute"])
    client = app.test_client()
    assert [client.get("/free").status_code for _ in range(4)] == [200, 200, 200, 429]

    # An application-wide limit is counted across views.
    app, _limiter, _bp = _limited_app(application_limits=["4 per minute"])
    client = app.test_client()
    codes = [client.get(path).status_code for path in ("/free", "/free", "/limited", "/free", "/free")]
    assert codes == [200, 200, 200, 200, 429]

    # The storage is down and an in-memory fallback is set: every view is counted by it.
    app, limiter, _bp = _limited_app(in_memory_fallback=["2 per minute"])
    limiter._storage_dead = True  # as after a storage error on a limited view
    limiter._storage.check = lambda: False  # and still down
    client = app.test_client()
    assert [client.get("/free").status_code for _ in range(3)] == [200, 200, 429]
