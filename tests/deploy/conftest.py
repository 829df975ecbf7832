"""Fixtures of the operations tests: empty databases of each kind, apps bound to them.

Backup, restore and upgrade need databases of their own (an empty one to restore into, one at
an old revision): each is created here and dropped afterwards, on SQLite and on the test
PostgreSQL server (never touching its other databases).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from flask import Flask

from survey import create_app
from survey.extensions import db as _db
from tests.conftest import TEST_CONFIG, IsolatedClient, postgres_server_url

NewDatabase = Callable[[], str]


KINDS = ["sqlite", "postgresql"]


@contextmanager
def databases(kind: str, folder: Path) -> Iterator[NewDatabase]:
    """A factory of empty databases of one kind (SQLAlchemy URLs); all dropped on leaving."""
    made: list[str] = []
    server = postgres_server_url() if kind == "postgresql" else ""

    def make() -> str:
        if kind == "sqlite":
            url = f"sqlite:///{folder / f'db-{len(made)}.sqlite3'}"
        else:
            name = f"sipas_deploy_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            base = server.rsplit("/", 1)[0].split("://", 1)[1]
            url = f"postgresql+psycopg://{base}/{name}"
        made.append(url)
        return url

    try:
        yield make
    finally:
        if server:
            with psycopg.connect(server, autocommit=True) as conn:
                for url in made:
                    conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture(params=KINDS)
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """Empty databases of each kind, made on demand and dropped after the test."""
    with databases(request.param, tmp_path) as make:
        yield make


def empty(url: str) -> str:
    """Make a database empty again (every table, sequence and function gone) and return its URL.

    Cheaper than a new database: PostgreSQL checkpoints on every DROP DATABASE, which on a busy
    shared server takes seconds.
    """
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        return url
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("SET lock_timeout = '10s'")  # a connection left open fails the test, never hangs it
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return url


def app_for(url: str, **config: object) -> Flask:
    """The app on a given database (not migrated)."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **config})
    app.test_client_class = IsolatedClient
    return app


def dispose(app: Flask) -> None:
    """Close the app's connections (before its database is dropped or replaced)."""
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
