"""Engine set-up per database: SQLite pragmas (WAL, foreign keys, busy wait)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from survey.extensions import db

__all__ = ["configure_engine"]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the report pages read while a citizen's answer is being written; the busy
    # timeout makes concurrent writers wait their turn instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure_engine(app: Flask) -> None:
    """Attach per-dialect connection settings to the app's engine."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
