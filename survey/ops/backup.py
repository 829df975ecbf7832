"""A backup of the whole database in one file, and its restore into an empty database.

PostgreSQL: `pg_dump --format=custom` (a consistent snapshot while the site runs) and
`pg_restore` in one transaction. SQLite: the online backup API (a consistent copy of a live
database, WAL included) into a self-contained file. A backup is written beside its target
under a temporary name, synced and renamed: the named file is always a whole backup.
A backup holds personal data (device hashes, contacts for a call back, password hashes), so
it is readable by its owner only.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

__all__ = ["BackupError", "Restored", "backup", "kind_of", "restore"]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the officer."""


@dataclass(frozen=True)
class Restored:
    """What a restore brought back: the migration revision of the backup."""

    revision: str


def kind_of(path: Path) -> str:
    """'sqlite' or 'postgresql' from a backup file's first bytes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise BackupError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError(f"{path}: not a backup made by `sipas backup` (neither SQLite nor pg_dump format)")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _atomic(out: Path, label: str = "--out") -> Iterator[Path]:
    """A private temporary file beside ``out``, synced and renamed into place on success only."""
    if not out.parent.is_dir():
        raise BackupError(f"{label}: folder '{out.parent}' does not exist")
    tmp = out.with_name(f".{out.name}.part-{os.getpid()}")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        yield tmp
        _fsync(tmp)
        tmp.replace(out)
        _fsync(out.parent)
    except OSError as exc:
        raise BackupError(f"{label}: cannot write '{out}': {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def backup(database_url: str | URL, out: Path) -> str:
    """Write a backup of the database to ``out``; returns its kind ('sqlite' or 'postgresql')."""
    url = make_url(database_url)
    with _atomic(out) as tmp:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), tmp)
        else:
            _run(["pg_dump", "--format=custom", "--no-password", f"--file={tmp}", _libpq(url)], url)
            _run(["pg_restore", "--list", str(tmp)], url)  # the archive reads back whole
    return url.get_backend_name()


def restore(database_url: str | URL, source: Path) -> Restored:
    """Restore a backup into the (empty) database; refuses a database that holds tables."""
    url = make_url(database_url)
    kind, target = kind_of(source), url.get_backend_name()
    if kind != target:
        raise BackupError(
            f"{source}: a {kind} backup cannot be restored into the {target} database (SIPAS_DATABASE_URL)"
        )
    if target == "sqlite":
        return _sqlite_restore(source, _sqlite_path(url))
    return _pg_restore(source, url)


# --- SQLite -------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("SIPAS_DATABASE_URL: an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _sqlite_backup(path: Path, tmp: Path) -> None:
    if not path.is_file():
        raise BackupError(f"SIPAS_DATABASE_URL: database file '{path}' does not exist")
    try:
        src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            # One self-contained file, whatever journal mode the live database uses.
            dst.execute("PRAGMA journal_mode=DELETE")
            if dst.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(f"{path}: the copy failed its integrity check")
        finally:
            dst.close()
            src.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: cannot back up ({exc})") from exc


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return [r[0] for r in rows]


def _revision(conn: sqlite3.Connection, source: Path) -> str:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source}: not a SIPAS database backup ({exc})") from exc
    if row is None:
        raise BackupError(f"{source}: not a SIPAS database backup (no migration revision)")
    return str(row[0])


def _sqlite_restore(source: Path, target: Path) -> Restored:
    if target.exists() and target.stat().st_size:
        conn = sqlite3.connect(target)
        try:
            tables = _sqlite_tables(conn)
        finally:
            conn.close()
        if tables:
            raise BackupError(
                f"restore: the database '{target}' already holds {len(tables)} tables;"
                " restore only into an empty database (move that file away first)"
            )
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        revision = _revision(src, source)
        with _atomic(target, "SIPAS_DATABASE_URL") as tmp:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
            for stale in ("-wal", "-shm"):  # left by the empty database the copy replaces
                Path(f"{target}{stale}").unlink(missing_ok=True)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source}: cannot restore ({exc})") from exc
    finally:
        src.close()
    return Restored(revision)


# --- PostgreSQL ---------------------------------------------------------------------------


def _libpq(url: URL) -> str:
    """The database as a libpq URI, without its password (that goes in PGPASSWORD, not argv)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(args: list[str], url: URL) -> str:
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} not found: apt install postgresql-client (the server's version)")
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        raise BackupError(f"{args[0]} failed: {lines[0] if lines else f'exit code {done.returncode}'}")
    return done.stdout


def _pg_scalar(url: URL, query: str) -> object:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar()
    except SQLAlchemyError as exc:
        raise BackupError(f"SIPAS_DATABASE_URL: {str(exc.orig or exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()


def _pg_restore(source: Path, url: URL) -> Restored:
    listing = _run(["pg_restore", "--list", str(source)], url)
    if "TABLE DATA public alembic_version" not in listing:
        raise BackupError(f"{source}: not a SIPAS database backup (no migration revision in it)")
    objects = _pg_scalar(
        url,
        "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')",
    )
    if objects:
        raise BackupError(
            f"restore: the database '{url.database}' already holds {objects} tables or sequences;"
            " restore only into an empty database (createdb a new one)"
        )
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={_libpq(url)}",
            str(source),
        ],
        url,
    )
    return Restored(str(_pg_scalar(url, "SELECT version_num FROM alembic_version")))
