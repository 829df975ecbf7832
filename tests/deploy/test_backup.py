"""`sipas backup` and `sipas restore`: every row of every table comes back, on both databases."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, inspect, select, text

from survey.extensions import db
from survey.models import AuditArchive, AuditLog, Base, Response
from survey.ops import archive
from tests.deploy.conftest import KINDS, app_for, databases, dispose, empty
from tests.deploy.previous_schema import fixture, load_previous_schema


@dataclass
class Source:
    """A database with a province's data at the newest migration, and two spare databases."""

    app: Flask
    spares: list[str]
    folder: Path

    def spare(self, n: int = 0) -> str:
        """Spare database number n, emptied."""
        return empty(self.spares[n])


def _cli(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["sipas", *args])


@pytest.fixture(scope="module", params=KINDS)
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """Last year's data upgraded to head, with some audit entries archived (so every table has rows)."""
    folder = tmp_path_factory.mktemp("backup")
    with databases(request.param, folder) as new_database:
        app = app_for(new_database(), SIPAS_AUDIT_ARCHIVE_DIR=str(folder / "archive"))
        load_previous_schema(app)
        assert _cli(app, "init").exit_code == 0
        with app.app_context():
            first_logins = db.session.scalar(select(AuditLog.at).where(AuditLog.action == "login.success"))
            assert archive.archive_entries(first_logins, folder / "archive", "test") is not None
        yield Source(app, [new_database(), new_database()], folder)
        dispose(app)


def _tables(app: Flask) -> dict[str, list[tuple[object, ...]]]:
    """Every table of the models (and the migration version), all rows ordered by primary key."""
    with app.app_context():
        out = {}
        for table in [*Base.metadata.sorted_tables]:
            out[table.name] = [
                tuple(r) for r in db.session.execute(select(table).order_by(*table.primary_key))
            ]
        out["alembic_version"] = [
            tuple(r) for r in db.session.execute(text("SELECT version_num FROM alembic_version"))
        ]
        db.session.remove()
    return out


def test_backup_and_restore_bring_back_every_row_of_every_table(source):
    """Backup, restore into an empty database, `sipas init`: all tables equal, row for row."""
    out = source.folder / "sipas.backup"
    made = _cli(source.app, "backup", "--out", str(out))
    assert made.exit_code == 0, made.output
    target = app_for(source.spare())
    restored = _cli(target, "restore", str(out))
    assert restored.exit_code == 0, restored.output
    assert _cli(target, "init").exit_code == 0
    before, after = _tables(source.app), _tables(target)
    assert before == after
    known = {name for name in fixture() if name != "alembic_version"} | {"audit_archive"}
    assert all(before[name] for name in known), [n for n in known if not before[n]]
    dispose(target)


def test_a_restored_database_takes_new_rows(source):
    """After a restore the id sequences continue: new audit entries and responses get new ids."""
    out = source.folder / "sequences.backup"
    assert _cli(source.app, "backup", "--out", str(out)).exit_code == 0
    target = app_for(source.spare())
    assert _cli(target, "restore", str(out)).exit_code == 0
    with target.app_context():
        from survey import audit

        top = db.session.scalar(select(func.max(AuditLog.id)))
        entry = audit.record("test.after_restore", "test", actor="test")
        db.session.commit()
        assert entry.id > top
        assert db.session.scalar(select(func.count()).select_from(Response)) == len(
            fixture()["response"]["rows"]
        )
    dispose(target)


def test_restore_refuses_a_database_that_holds_data(source):
    """Restoring over the live database is refused with one line; nothing changes."""
    out = source.folder / "refused.backup"
    assert _cli(source.app, "backup", "--out", str(out)).exit_code == 0
    before = _tables(source.app)
    result = _cli(source.app, "restore", str(out))
    assert result.exit_code == 1
    assert result.output.startswith("Error: restore: the database ") and "already holds" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _tables(source.app) == before


def test_an_old_backup_is_restored_and_upgraded_by_init(source):
    """A backup made at revision 0004 restores as 0004; `sipas init` then brings it to the newest schema."""
    old = app_for(source.spare(1))
    load_previous_schema(old)
    out = source.folder / "last-year.backup"
    assert _cli(old, "backup", "--out", str(out)).exit_code == 0
    dispose(old)
    target = app_for(source.spare(0))
    result = _cli(target, "restore", str(out))
    assert result.exit_code == 0 and "(migration 0004)" in result.output
    assert _cli(target, "init").exit_code == 0
    with target.app_context():
        assert "audit_archive" in inspect(db.engine).get_table_names()
        assert db.session.scalar(select(func.count()).select_from(AuditArchive)) == 0
        assert db.session.scalar(select(func.count()).select_from(Response)) == len(
            fixture()["response"]["rows"]
        )
    dispose(target)


def test_the_backup_file_is_private(source):
    """A backup holds personal data: only its owner may read it."""
    out = source.folder / "private.backup"
    assert _cli(source.app, "backup", "--out", str(out)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def _kind(app: Flask) -> str:
    with app.app_context():
        return db.engine.url.get_backend_name()


def test_a_failed_backup_leaves_the_previous_file_and_no_partial_one(source, tmp_path):
    """When the dump fails half-way, the file at --out is untouched and no temporary file remains."""
    backups = tmp_path / "backups"
    backups.mkdir()
    out = backups / "sipas.backup"
    out.write_bytes(b"yesterday's backup")
    if _kind(source.app) == "sqlite":
        broken = tmp_path / "broken.sqlite3"
        broken.write_bytes(b"this is not a database" * 100)
        app = app_for(f"sqlite:///{broken}")
    else:
        with source.app.app_context():
            url = db.engine.url.set(database="sipas_no_such_database")
        app = app_for(url.render_as_string(hide_password=False))
    result = _cli(app, "backup", "--out", str(out))
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert out.read_bytes() == b"yesterday's backup"
    assert [p.name for p in backups.iterdir()] == ["sipas.backup"]


def test_restore_refuses_a_file_that_is_not_a_backup(source, tmp_path):
    """A random file, or a backup of the other kind of database: one clear line, nothing restored."""
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    target = app_for(source.spare())
    result = _cli(target, "restore", str(junk))
    assert result.exit_code == 1 and "not a backup made by `sipas backup`" in result.output
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP" if _kind(target) == "sqlite" else b"SQLite format 3\x00" + bytes(100))
    result = _cli(target, "restore", str(other))
    assert result.exit_code == 1 and "backup cannot be restored into the" in result.output
    assert _cli(target, "restore", str(junk)).exit_code == 1
    dispose(target)


def test_retention_waits_for_the_upgrade_of_a_restored_database(source):
    """On a database not yet upgraded (a restored old backup), retention asks for `sipas init` first."""
    old = app_for(source.spare(1))
    load_previous_schema(old)
    result = _cli(old, "retention")
    assert result.exit_code == 1
    assert result.output.startswith("Error: the database is at migration 0004, not the newest (")
    assert result.output.endswith("): run `sipas init` first\n")
    dispose(old)
