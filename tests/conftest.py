"""Fixtures: every app test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from SIPAS_TEST_POSTGRES_URL, else 127.0.0.1:5432 (database `test`, trust
auth, as on the development and CI machines); `make test` starts a throwaway cluster when
neither answers. A missing PostgreSQL is an error, never a silent skip. Each test session
(each xdist worker) migrates its own fresh database, so runs sharing one server never meet.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.serving import make_server

os.environ.setdefault("SIPAS_SECRET_KEY", "test-secret-key-not-for-production")

from survey import create_app  # noqa: E402
from survey.extensions import db as _db  # noqa: E402

# One Playwright/Chromium per session for every browser test (two sync Playwrights cannot coexist).
pytest_plugins = ["tests.browser_fixtures"]

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TEST_CONFIG = {"TESTING": True, "SECRET_KEY": "test-secret-key", "SIPAS_BASE_URL": "https://sipas.example.vn"}


def postgres_server_url() -> str:
    """URL of the PostgreSQL server the tests use; fail loudly when there is none."""
    url = os.environ.get("SIPAS_TEST_POSTGRES_URL", DEFAULT_PG)
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.exit(f"PostgreSQL is not reachable at {url} ({exc}); run `make test`, which starts one", 3)
    return url


def _migrated_app(url: str) -> Flask:
    from flask_migrate import upgrade

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        _db.engine.dispose()
    return app


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrated_app(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this session/worker, migrated to head, dropped at the end."""
    server = postgres_server_url()
    name = f"sipas_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = server.rsplit("/", 1)[0]
    url = f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    _migrated_app(url)
    yield url
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    Without this, a request made while a test holds an app context would share that
    context's `g` and database session with the test and with every other client.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app on a clean, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "sipas.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = IsolatedClient
    app.config["SIPAS_DEMO_LOGIN_FILE"] = str(tmp_path / "demo-login.txt")
    yield app
    with app.app_context():
        _db.session.remove()
        if request.param == "postgresql":
            tables = ", ".join(
                f'"{t.name}"' for t in _db.metadata.sorted_tables if t.name != "alembic_version"
            )
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[object]:
    """The SQLAlchemy handle inside an app context."""
    with app.app_context():
        yield _db


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served by a real threaded HTTP server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """xdist worker name ('gw0', …) or 'main' without xdist."""
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember skipped tests (also those reported by xdist workers)."""
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test fails the run: nothing in this suite may be skipped silently."""
    if _skipped and exitstatus == 0 and not hasattr(session.config, "workerinput"):
        print(f"\nERROR: {len(_skipped)} test(s) skipped; the suite must run whole:", *_skipped, sep="\n  ")
        session.exitstatus = 1
