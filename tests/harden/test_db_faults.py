"""Database faults: a stopped, paused, locked or read-only database answers 503 and loses nothing.

PostgreSQL: the test's own throwaway cluster (tests/pgcluster.py), stopped with pg_ctl and
paused with SIGSTOP of the postmaster and its backends. SQLite: a writer holding the file's
lock. In every case the citizen gets the survey form back with every answer in it, and the
same form sent again once the database is back stores exactly one response.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from unittest import mock

import psycopg
import pytest
from flask import Flask
from sqlalchemy import func, select, text

from survey import create_app
from survey.extensions import db as _db
from survey.models import Response
from tests.conftest import TEST_CONFIG
from tests.factories import make_open_point, make_user
from tests.pgcluster import Cluster
from tests.survey_client import hidden, open_form

COMMENT = "Cán bộ tận tình, nhưng phải chờ lâu"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    pg = Cluster()
    pg.start()
    yield pg
    pg.destroy()


def _app(url: str, **extra: object) -> Flask:
    from flask_migrate import upgrade

    with mock.patch.dict(os.environ, {"SIPAS_DB_CONNECT_TIMEOUT": "2"}):
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **extra})
    app.config.update(SIPAS_DB_CALL_TIMEOUT=2, SIPAS_HEALTH_TIMEOUT=2)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    return app


@pytest.fixture(scope="module")
def pg_app(cluster: Cluster) -> Iterator[Flask]:
    app = _app(cluster.url)
    app.extensions["sipas_watchdog"].timeout_s = 2
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
    gc.collect()


@pytest.fixture
def pg(pg_app: Flask, cluster: Cluster) -> Iterator[tuple[Flask, Cluster, str]]:
    """The app on the throwaway cluster, running, with one open counter; cleaned afterwards."""
    cluster.resume()
    with pg_app.app_context():
        point = make_open_point()
        token = point.token
    yield pg_app, cluster, token
    cluster.resume()
    if not (cluster.data / "postmaster.pid").exists():
        cluster.start()
    with pg_app.app_context():
        _db.session.remove()
        _db.engine.dispose()
        tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
        with _db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _db.engine.dispose()
    gc.collect()


def _form(client, token: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    t, csrf = open_form(client, token)
    return {"t": t, "csrf_token": csrf, "B1.1": "5", "B2.1": "4", "C1": COMMENT}


def _count(app: Flask) -> int:
    with app.app_context():
        return int(_db.session.scalar(select(func.count(Response.id))))


def _answers_kept(html: str) -> bool:
    return (
        re.search(r'name="B1.1" value="5" checked', html) is not None
        and re.search(r'name="B2.1" value="4" checked', html) is not None
        and COMMENT in html
    )


def _bounded(fn, seconds: float = 30):  # type: ignore[no-untyped-def]
    """Run a request in a thread; a hang fails the test instead of hanging the suite."""
    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert box, "the request hung"
    return box[0]


def test_stopped_database_keeps_the_answers_and_a_retry_stores_one(pg) -> None:
    """Submit while PostgreSQL is down: 503 with every answer in the form; after restart, one row."""
    app, cluster, token = pg
    client = app.test_client()
    form = _form(client, token)
    cluster.stop()
    reply = client.post(f"/s/{token}", data=form)
    assert reply.status_code == 503
    assert _answers_kept(reply.text)
    assert "Chưa lưu được câu trả lời" in reply.text
    assert hidden(reply.text, "t") == form["t"]  # the same form load: a retry is idempotent
    cluster.start()
    again = {**form, "csrf_token": hidden(reply.text, "csrf_token")}
    assert client.post(f"/s/{token}", data=again).status_code == 303
    assert client.post(f"/s/{token}", data=again).status_code == 303
    assert _count(app) == 1


def test_stopped_database_pages_are_503_in_vietnamese(pg) -> None:
    """Survey, login, reports and /healthz answer 503 (not 500), rendered without the database."""
    app, cluster, token = pg
    with app.app_context():
        make_user("admin@snv.laichau.gov.vn", "admin")
        _db.session.commit()
    official = app.test_client()
    page = official.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    login = {"email": "admin@snv.laichau.gov.vn", "password": "Matkhau2026", "csrf_token": csrf}
    assert official.post("/login", data=login).status_code == 303
    cluster.stop()
    survey = app.test_client().get(f"/s/{token}")
    assert survey.status_code == 503 and "Tạm thời gián đoạn" in survey.text
    assert official.get("/reports/").status_code == 503
    assert app.test_client().post("/login", data=login).status_code in (400, 503)
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json() == {"status": "error", "down": ["database"]}


def test_paused_database_answers_503_in_bounded_time_and_keeps_answers(pg) -> None:
    """With the server frozen (SIGSTOP), /healthz and a submit return 503 instead of hanging."""
    app, cluster, token = pg
    client = app.test_client()
    form = _form(client, token)
    cluster.pause()
    health = _bounded(lambda: app.test_client().get("/healthz"))
    assert health.status_code == 503 and health.get_json()["down"] == ["database"]
    reply = _bounded(lambda: client.post(f"/s/{token}", data=form))
    assert reply.status_code == 503 and _answers_kept(reply.text)
    cluster.resume()
    again = {**form, "csrf_token": hidden(reply.text, "csrf_token")}
    assert _bounded(lambda: client.post(f"/s/{token}", data=again)).status_code == 303
    assert _count(app) == 1
    assert app.test_client().get("/healthz").status_code == 200


def test_healthz_fails_when_reads_work_but_writes_do_not(pg) -> None:
    """A database that answers SELECT but refuses writes (disk full, read-only) is reported down."""
    app, cluster, token = pg
    server = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute("ALTER DATABASE postgres SET default_transaction_read_only = on")
    with app.app_context():
        _db.engine.dispose()
    try:
        reply = app.test_client().get("/healthz")
        assert reply.status_code == 503 and reply.get_json()["down"] == ["database"]
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute("SET default_transaction_read_only = off")
            conn.execute("ALTER DATABASE postgres RESET default_transaction_read_only")
        with app.app_context():
            _db.engine.dispose()
    assert app.test_client().get("/healthz").status_code == 200


@pytest.fixture
def sqlite_app(tmp_path, sqlite_template) -> Iterator[tuple[Flask, str, str]]:
    path = tmp_path / "sipas.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "connect_args": {"timeout": 0.2}},
        }
    )
    with app.app_context():
        token = make_open_point().token
    yield app, str(path), token
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
    gc.collect()


def test_locked_sqlite_keeps_the_answers_and_a_retry_stores_one(sqlite_app) -> None:
    """A SQLite file held by another writer past the busy timeout: 503 with the answers, then one row."""
    app, path, token = sqlite_app
    client = app.test_client()
    form = _form(client, token)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        reply = client.post(f"/s/{token}", data=form)
        assert reply.status_code == 503 and _answers_kept(reply.text)
        assert app.test_client().get("/healthz").get_json()["down"] == ["database"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    again = {**form, "csrf_token": hidden(reply.text, "csrf_token")}
    assert client.post(f"/s/{token}", data=again).status_code == 303
    assert _count(app) == 1


def test_error_page_renders_with_an_unreachable_database() -> None:
    """With no database at all (nothing listens) the survey answers the Vietnamese 503 page."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x@127.0.0.1:9/none"})
    reply = app.test_client().get("/s/some-token")
    assert reply.status_code == 503 and "Tạm thời gián đoạn" in reply.text
    with app.app_context():
        _db.engine.dispose()


def test_database_dying_after_the_page_is_rendered_does_not_turn_it_into_a_500(pg) -> None:
    """The connection dies between the view and the session's close: the page still goes out."""
    _, cluster, _ = pg
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": cluster.url})

    @app.get("/_probe")
    def probe() -> str:
        _db.session.execute(text("SELECT 1"))  # a transaction is open on this connection
        cluster.stop()
        return "rendered"

    reply = app.test_client().get("/_probe")
    assert reply.status_code == 200 and reply.text == "rendered"
    with app.app_context():
        _db.engine.dispose()
