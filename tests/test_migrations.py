"""The schema: migrations reach the models exactly, and no column can hold personal data."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from survey.extensions import db as _db
from survey.models import Base

# Words that would betray a column meant for personal data (Vietnamese and English).
PII_WORDS = (
    "name",
    "phone",
    "email",
    "address",
    "ip",
    "cccd",
    "cmnd",
    "id_number",
    "identity",
    "ethnic",
    "dan_toc",
    "birth",
    "dossier",
)
RESPONSE_TABLES = ("response", "answer")


def test_migrations_match_the_models(db):
    """An empty database upgraded to head has exactly the tables, columns and constraints of the models."""
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_migrated_database_has_every_model_table(db):
    """Every model table exists after the upgrade (and the version table)."""
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


def test_no_response_column_holds_personal_data(db):
    """Response and answer tables have no column for a name, phone, ID number, address or IP."""
    inspector = inspect(db.engine)
    for table in RESPONSE_TABLES:
        for column in inspector.get_columns(table):
            parts = column["name"].lower().split("_")
            assert not any(word in parts or column["name"].lower() == word for word in PII_WORDS), (
                table,
                column["name"],
            )


def test_sqlite_runs_in_wal_mode(app):
    """The embedded SQLite database runs in WAL mode with foreign keys enforced."""
    with app.app_context():
        if _db.engine.dialect.name != "sqlite":
            assert _db.engine.dialect.name == "postgresql"
            return
        with _db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_revision_0002_adds_accounts_audit_and_codes(db):
    """Revision 0002 creates the account, API key, audit, receipt-code and retired-token tables."""
    tables = set(inspect(db.engine).get_table_names())
    assert {"user_account", "api_key", "audit_log", "receipt_code", "retired_token"} <= tables
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() >= "0002"


def test_receipt_codes_hold_no_dossier_or_person(db):
    """A receipt code row has only the code's hash, its counter and dates: nothing about a person."""
    columns = {c["name"] for c in inspect(db.engine).get_columns("receipt_code")}
    assert columns == {"id", "code_hash", "point_id", "created_at", "expires_at", "used", "used_on"}


def test_downgrade_to_0001_and_back_to_head(app):
    """Revision 0002 downgrades cleanly (triggers included) and upgrades again to match the models."""
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        directory = app.extensions["migrate"].directory
        downgrade(directory=directory, revision="0001")
        assert "audit_log" not in inspect(_db.engine).get_table_names()
        upgrade(directory=directory)
        with _db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
