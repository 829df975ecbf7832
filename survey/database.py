"""Engine set-up per database: SQLite pragmas, and a bound on every database call.

PostgreSQL's own `statement_timeout` and libpq's `connect_timeout` (config.py) cover a slow
query and an unreachable server. They cannot cover a server that accepted the connection and
then stopped answering (a paused VM, a frozen disk, SIGSTOP): the kernel still acknowledges
our packets, so no socket timeout fires either, and a worker would wait forever with a
citizen's answers in hand. A watchdog therefore cuts any single database call that takes
longer than SIPAS_DB_CALL_TIMEOUT seconds; the driver then raises, the error handler answers
503 with the answers kept, and the pool drops the dead connection.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from typing import Any

import click
from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from survey.extensions import db

__all__ = ["Watchdog", "bounded", "configure_engine", "engine_options", "is_database_fault"]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_ms: int) -> None:
    # WAL lets the report pages read while a citizen's answer is being written; the busy
    # timeout makes concurrent writers wait their turn, for a bounded time, instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _cut(dbapi_connection: Any) -> None:
    """Make a blocked call on this connection fail now (from another thread)."""
    interrupt = getattr(dbapi_connection, "interrupt", None)
    if interrupt is not None:  # sqlite3: aborts the running statement
        interrupt()
        return
    try:
        fd = dbapi_connection.fileno()
        # Shutting the socket down wakes the driver's wait with end-of-file; the driver raises
        # OperationalError and SQLAlchemy invalidates the connection (it is never reused).
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()
    except (OSError, ValueError, AttributeError):
        pass  # already closed


class Watchdog:
    """Deadlines of the database calls in flight in this process, checked twice a second.

    Arming is a dict assignment (no timer thread per call, no lock on the submit path); one
    daemon thread per process, started lazily and again after a fork, does the checking.
    """

    TICK_S = 0.5

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._armed: dict[int, tuple[float, Any]] = {}
        self._pid = 0

    def arm(self, dbapi_connection: Any) -> None:
        if self._pid != os.getpid():
            self._start()
        self._armed[id(dbapi_connection)] = (time.monotonic() + self.timeout_s, dbapi_connection)

    def disarm(self, dbapi_connection: Any) -> None:
        self._armed.pop(id(dbapi_connection), None)

    def _start(self) -> None:
        self._pid = os.getpid()
        self._armed = {}
        threading.Thread(target=self._run, name="sipas-db-watchdog", daemon=True).start()

    def _run(self) -> None:
        pid = os.getpid()
        while self._pid == pid:
            time.sleep(self.TICK_S)
            now = time.monotonic()
            for key, (deadline, conn) in list(self._armed.items()):
                if deadline <= now and self._armed.pop(key, None) is not None:
                    _cut(conn)


def bounded() -> bool:
    """Whether database calls are bounded now: in a web request yes, in a command (`sipas …`) no.

    An import of 150,000 responses or a compute over a million may rightly run long; a citizen
    waiting on a page may not.
    """
    return click.get_current_context(silent=True) is None


def _listen(engine: Engine, dog: Watchdog, statement_ms: int) -> None:
    def before(conn: Any, cursor: Any, *_: Any) -> None:
        if bounded():
            dog.arm(cursor.connection)

    def after(conn: Any, cursor: Any, *_: Any) -> None:
        dog.disarm(cursor.connection)

    def on_error(context: Any) -> None:
        conn = context.connection
        if conn is not None and not conn.closed and conn.connection.dbapi_connection is not None:
            dog.disarm(conn.connection.dbapi_connection)

    def ending(conn: Any) -> None:  # COMMIT / ROLLBACK: disarmed at check-in
        if conn.connection.dbapi_connection is not None and bounded():
            dog.arm(conn.connection.dbapi_connection)

    def checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            dog.disarm(dbapi_connection)

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # Our own pre-ping, under the watchdog (SQLAlchemy's runs before any event could arm
        # it); the ping sets the statement timeout of this use: web requests only.
        limit = statement_ms if bounded() else 0
        dog.arm(dbapi_connection)
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute(
                f"SELECT set_config('statement_timeout', '{int(limit)}', false),"
                f" set_config('lock_timeout', '{int(limit)}', false)"
            )
            cursor.close()
        except Exception as error:  # noqa: BLE001 - any failure means: use another connection
            raise exc.DisconnectionError(str(error)) from error
        finally:
            dog.disarm(dbapi_connection)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", on_error)
    event.listen(engine, "commit", ending)
    event.listen(engine, "rollback", ending)
    event.listen(engine.pool, "checkin", checkin)
    if engine.dialect.name != "sqlite":
        event.listen(engine.pool, "checkout", checkout)


def is_database_fault(error: BaseException) -> bool:
    """Whether an exception means the database is unreachable, paused, full or timed out."""
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or isinstance(error, exc.OperationalError | exc.InterfaceError)
    return isinstance(error, exc.DisconnectionError | exc.TimeoutError | exc.PendingRollbackError)


def engine_options(app: Flask) -> None:
    """Timeouts for the configured database (before the engine is made), unless set explicitly."""
    from survey.config import engine_options as options

    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options(app.config["SQLALCHEMY_DATABASE_URI"]))


def _close_session(_exc: BaseException | None) -> None:
    """End the request's session without letting a dead connection turn a sent page into a 500.

    The page may already be rendered when the database goes away; closing the session then
    tries a ROLLBACK on a dead connection. Such a connection is invalidated instead (the pool
    drops it) and the answer the citizen already has stands.
    """
    try:
        db.session.close()
    except Exception:  # noqa: BLE001 - the database is gone; nothing left to roll back
        with contextlib.suppress(Exception):
            db.session.invalidate()


def configure_engine(app: Flask) -> None:
    """Attach per-dialect connection settings and the call watchdog to the app's engine."""
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run in reverse).
    app.teardown_appcontext(_close_session)
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            busy_ms = int(
                app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {}).get("timeout", 5) * 1000
            )
            event.listen(engine, "connect", lambda c, r: _sqlite_pragmas(c, r, busy_ms))
        dog = Watchdog(float(app.config.get("SIPAS_DB_CALL_TIMEOUT", 20)))
        app.extensions["sipas_watchdog"] = dog
        _listen(engine, dog, int(app.config.get("SIPAS_DB_STATEMENT_TIMEOUT_MS", 15000)))
