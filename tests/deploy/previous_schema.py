"""Last year's database: the schema of revision 0004 with a province's data (fixtures/sipas-0004.json).

The data was made once by the app of that time (fixtures/make_previous_schema.py says how) and
is loaded here into either database: the migrations up to 0004 build the old schema, the
tables are read back from the database (not from today's models, which have moved on), and
the rows are inserted with each value typed by its column.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import Boolean, Date, DateTime, MetaData, Table, func, select, text
from sqlalchemy.engine import Connection

from survey.extensions import db

__all__ = ["REVISION", "fixture", "load_previous_schema", "typed_rows"]

FIXTURE = Path(__file__).with_name("fixtures") / "sipas-0004.json"
REVISION = "0004"


@cache
def fixture() -> dict[str, Any]:
    """The fixture's tables: ``{name: {"columns": [...], "rows": [[...], ...]}}``."""
    return json.loads(FIXTURE.read_text())["tables"]  # type: ignore[no-any-return]


def _typed(table: Table, column: str, value: object) -> object:
    if value is None or column not in table.c:  # a column a later migration dropped: as stored
        return value
    kind = table.c[column].type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(str(value))
    if isinstance(kind, Date):
        return date.fromisoformat(str(value))
    if isinstance(kind, Boolean):
        return bool(value)
    return value


def typed_rows(table: Table, name: str) -> list[dict[str, object]]:
    """The fixture's rows of one table as dicts, typed by the database's columns."""
    data = fixture()[name]
    return [
        {c: _typed(table, c, v) for c, v in zip(data["columns"], row, strict=True)} for row in data["rows"]
    ]


def load_previous_schema(app: Flask) -> None:
    """Migrate the app's empty database to revision 0004 and insert the fixture's rows."""
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision=REVISION)
        meta = MetaData()
        meta.reflect(bind=db.engine)
        with db.engine.begin() as conn:
            for table in meta.sorted_tables:
                if table.name == "alembic_version":
                    continue
                rows = typed_rows(table, table.name)
                if rows:
                    conn.execute(table.insert(), rows)
            if conn.dialect.name == "postgresql":
                _advance_sequences(conn, meta)
        db.engine.dispose()


def _advance_sequences(conn: Connection, meta: MetaData) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; the next insert must not collide."""
    for table in meta.sorted_tables:
        if "id" in table.c and conn.scalar(select(func.count()).select_from(table)):
            sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
            conn.execute(
                text("SELECT setval(:s, :v)"), {"s": sequence, "v": conn.scalar(select(func.max(table.c.id)))}
            )
