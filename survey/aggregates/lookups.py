"""Counters, the open period and a few small settings, kept per process per setup version.

Every survey request needs its counter (with the unit's name) and the open period; reading
them is two queries of four per request, about a fifth of a cycle's server time. A process
keeps what it read, keyed by ``setup_version``: any change to a unit, a counter, a period, a
survey language or a case setting (the thank-you page's channels) raises that number in the
same transaction (the session hooks below), and the next request of every process sees it —
there is no expiry by time, so a rotated or revoked code or a closed period takes effect at
once. What the cache holds is a detached copy; each request gets it merged into its own
session without a query, so relationships still load normally.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from flask import Flask, g
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session, joinedload

from survey.extensions import db
from survey.models import CaseSetting, Language, Period, ServicePoint, Unit
from survey.models.aggregates import DataVersion, ResponseDay, SetupVersion
from survey.periods import open_period

__all__ = ["init_app", "kept", "languages", "open_period_on", "point_by_token", "setup_key"]

T = TypeVar("T")
_WATCHED = (Unit, ServicePoint, Period, Language, CaseSetting)
_lock = threading.Lock()
_cache: dict[str, Any] = {"version": None, "points": {}, "periods": {}, "kept": {}}
_READ_VERSION = f"SELECT version FROM {SetupVersion.__tablename__} WHERE id = 1"  # noqa: S608 - constants


def _version() -> tuple[str, int] | None:
    """The database and its setup version, read once per request (None: keep nothing)."""
    if "setup_version" not in g:
        # Plain SQL on the session's own connection and transaction: this runs on every survey
        # request, and the ORM's statement handling around it cost 7–13 % of a survey cycle.
        row = db.session.connection().exec_driver_sql(_READ_VERSION).first()
        g.setup_version = None if row is None else (str(db.engine.url), row[0])
    return g.setup_version  # type: ignore[no-any-return]


def setup_key() -> tuple[str, int] | None:
    """The database and its setup version, for other per-process copies keyed by the setup."""
    return _version()


def _lookup(part: str, key: object, load: Callable[[], T]) -> T:
    """The value kept under ``part``/``key`` for this request's setup version, else ``load()``.

    A loaded value is kept only while the process's copy is still of the version this request
    read: a load that raced a change (read before it, stored after another request already
    reset the copy to the new version) is used once and never kept under the newer version.
    """
    version = _version()
    if version is None:
        return load()
    with _lock:
        if _cache["version"] != version:
            _cache.update(version=version, points={}, periods={}, kept={})
        table = _cache[part]
        if key in table:
            return table[key]  # type: ignore[no-any-return]
    value = load()
    with _lock:
        if _cache["version"] == version:
            value = _cache[part].setdefault(key, value)
    return value


def point_by_token(token: str) -> ServicePoint | None:
    """The counter of a QR token (any state), with its unit; None for an unknown token."""

    def load() -> ServicePoint | None:
        point = db.session.scalars(
            select(ServicePoint).options(joinedload(ServicePoint.unit)).where(ServicePoint.token == token)
        ).first()
        if point is not None:
            db.session.expunge(point.unit)
            db.session.expunge(point)
        return point

    return _attach(_lookup("points", token, load))


def open_period_on(day: date) -> Period | None:
    """The period open for answers on ``day`` (see survey.periods.open_period)."""

    def load() -> Period | None:
        period = open_period(day)
        if period is not None:
            db.session.expunge(period)
        return period

    return _attach(_lookup("periods", day, load))


def kept(name: str, load: Callable[[], T]) -> T:
    """``load()``, read once per process and setup version (for rows of the watched tables).

    The caller must not change what it gets: every request of the process shares it.
    """
    return _lookup("kept", name, load)


def languages() -> dict[str, tuple[str, int]]:
    """Code -> (endonym, version) of the survey languages stored in the database.

    A language imported, renamed or given a new recording changes its row, which raises the
    setup version like a counter does, so every process reads the table anew at once.
    """

    def load() -> dict[str, tuple[str, int]]:
        found = db.session.execute(select(Language.code, Language.endonym, Language.version)).all()
        return {code: (name, version) for code, name, version in found}

    return dict(kept("languages", load))


def _attach(obj):  # type: ignore[no-untyped-def]
    return None if obj is None else db.session.merge(obj, load=False)


def _bump(session: Session) -> None:
    """A new random version: unlike a counter it never comes back to a value some process
    still holds (a restored or emptied table starts again from its first value)."""
    value = secrets.randbelow(2**31 - 2) + 1
    done = session.execute(update(SetupVersion).where(SetupVersion.id == 1).values(version=value))
    if done.rowcount == 0:  # type: ignore[attr-defined]
        session.add(SetupVersion(id=1, version=value))


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    """A unit, counter, period, language or case setting added, changed or deleted raises the
    setup version; a
    counter's new opening hours also make its days' ``after_hours`` flags stale."""
    changed = [o for o in (*session.new, *session.dirty, *session.deleted) if isinstance(o, _WATCHED)]
    if not any(o in session.new or o in session.deleted or session.is_modified(o) for o in changed):
        return
    _bump(session)
    for point in (o for o in session.dirty if isinstance(o, ServicePoint)):
        history = inspect(point).attrs.opening_hours.history
        if history.has_changes() and point.id is not None:
            session.execute(
                update(ResponseDay)
                .where(ResponseDay.point_key == point.id)
                .values(generation=ResponseDay.generation + 1)
            )
            session.execute(
                update(DataVersion)
                .where(DataVersion.unit_id == point.unit_id)
                .values(version=DataVersion.version + 1)
            )


def _bulk(state) -> None:  # type: ignore[no-untyped-def]
    """``UPDATE period SET …`` and the like through the session raise it too."""
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ in _WATCHED:
        _bump(state.session)


def init_app(app: Flask) -> None:
    """Hook the setup version into every session (once per process)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "do_orm_execute", _bulk)
