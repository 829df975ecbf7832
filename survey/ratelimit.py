"""Rate-limit counters: in a SQLite file shared by every worker of one machine, or in memory.

`memory://` counts per process: with two gunicorn workers a phone got twice its budget and a
password guesser twice the guesses. Redis (`redis://…`) is the answer when it runs; this
storage is the answer when it does not (a single provincial server, `make demo`): set
SIPAS_RATELIMIT_STORAGE=sqlite:///path/to/ratelimit.sqlite3 (four slashes for an absolute
path, as in SQLAlchemy URLs). It implements the `limits` storage protocol for the fixed-window
and sliding-window-counter strategies: each operation is one short SQLite transaction, no
timer thread, and expired rows are swept now and then by the writers themselves.

``memory://`` (the default without Redis) is the `limits` memory storage without its timer:
that one starts a thread after nearly every counted request to sweep expired counts 10 ms
later, a thread start and a pass over every key on the survey's hot path. Here the requests
themselves sweep, at most once a second, and also drop the keys left empty; expired counts were
never read either way (the storage checks expiry on every read), so only when memory is freed
changes.

Flask-Limiter also checks every request in a ``before_request`` hook, for application-wide,
default, blueprint and meta limits. This app sets none of those: every limit sits on its own
view (or helper) and is checked there by the decorator. ``skip_idle_middleware`` keeps the hook
but lets it return at once while none of those limits exists; it cost about a tenth of a
survey request's server time, on every request.
"""

from __future__ import annotations

import bisect
import math
import os
import random
import sqlite3
import threading
import time
from typing import Any

from flask import Flask, request
from limits.storage import MemoryStorage as _TimedMemoryStorage
from limits.storage import Storage
from limits.storage.base import SlidingWindowCounterSupport, TimestampedSlidingWindow

__all__ = ["MemoryStorage", "SQLiteStorage", "skip_idle_middleware"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counter (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL)"
)
_INCR = (
    "INSERT INTO counter (key, value, expires) VALUES (:key, :amount, :now + :expiry) "
    "ON CONFLICT (key) DO UPDATE SET "
    "value = CASE WHEN expires <= :now THEN :amount ELSE value + :amount END, "
    "expires = CASE WHEN expires <= :now THEN :now + :expiry ELSE expires END "
    "RETURNING value"
)


class SQLiteStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """`limits` storage backed by one SQLite file (WAL), safe across threads and processes."""

    STORAGE_SCHEME = ["sqlite"]
    SWEEP_PROBABILITY = 0.01

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        path = uri.split("://", 1)[1]
        self.path = path[1:] if path.startswith("/") else path
        if not self.path:
            raise ValueError("sqlite rate-limit storage needs a file: sqlite:///path/to/file")
        self.timeout_s = float(options.get("timeout", 5))
        self._local = threading.local()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread and per process (a forked worker opens its own).
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            directory = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(directory, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            # Counters may lose the last few increments in a power cut; they must never be slow.
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute(_SCHEMA)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _write(self, fn):  # type: ignore[no-untyped-def]
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn, time.time())
            if random.random() < self.SWEEP_PROBABILITY:  # noqa: S311 - not security relevant
                conn.execute("DELETE FROM counter WHERE expires <= ?", (time.time(),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return result

    # -- the base protocol (fixed window, and what Flask-Limiter and our log-in backoff use) --
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return int(
            self._write(
                lambda conn, now: conn.execute(
                    _INCR, {"key": key, "amount": amount, "now": now, "expiry": expiry}
                ).fetchone()[0]
            )
        )

    def get(self, key: str) -> int:
        row = (
            self._conn()
            .execute("SELECT value FROM counter WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._conn().execute("SELECT expires FROM counter WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._conn().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return int(self._write(lambda conn, _now: conn.execute("DELETE FROM counter").rowcount))

    def clear(self, key: str) -> None:
        self._write(lambda conn, _now: conn.execute("DELETE FROM counter WHERE key = ?", (key,)))

    # -- sliding window counter: the previous and current fixed windows, weighted -----------
    def _window(
        self, conn: sqlite3.Connection, key: str, expiry: int, now: float
    ) -> tuple[int, float, int, float]:
        previous, current = self.sliding_window_keys(key, expiry, now)
        values = dict(
            conn.execute(
                "SELECT key, value FROM counter WHERE key IN (?, ?) AND expires > ?", (previous, current, now)
            ).fetchall()
        )
        # Window boundaries are multiples of the expiry: the time left in each follows from now.
        current_ttl = expiry - (now % expiry)
        return int(values.get(previous, 0)), current_ttl, int(values.get(current, 0)), current_ttl + expiry

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        return self._window(self._conn(), key, expiry, time.time())

    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False

        def acquire(conn: sqlite3.Connection, now: float) -> bool:
            previous, previous_ttl, current, _ = self._window(conn, key, expiry, now)
            weighted = previous * previous_ttl / expiry + current
            if math.floor(weighted) + amount > limit:
                return False
            _, current_key = self.sliding_window_keys(key, expiry, now)
            # The current window's count must outlive it by one window, to weigh the next one.
            conn.execute(_INCR, {"key": current_key, "amount": amount, "now": now, "expiry": 2 * expiry})
            return True

        return bool(self._write(acquire))

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        previous, current = self.sliding_window_keys(key, expiry, time.time())
        self.clear(previous)
        self.clear(current)


class MemoryStorage(_TimedMemoryStorage):
    """``memory://``: counts per process, expired ones swept by the requests (no timer thread).

    Registering the scheme again replaces the library's class for every ``memory://`` URI.
    """

    STORAGE_SCHEME = ["memory"]
    SWEEP_S = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = 0.0
        self._sweeping = threading.Lock()

    # The library calls this (name-mangled) after each count.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_S
            self.sweep()
        finally:
            self._sweeping.release()

    def sweep(self) -> None:
        """Drop expired hits and counters, and the keys left empty (each phone or address
        would otherwise keep an empty list for the life of the process).

        It runs inside a counted request, so unlike the library's sweep (made for its timer
        thread) it tolerates keys that other threads remove meanwhile.
        """
        now = time.time()
        for key in list(self.events):
            with self.locks[key]:
                events = self.events.get(key)
                if events:
                    # newest first, so expiry descends: keep those not yet expired
                    kept = bisect.bisect_left(events, -now, key=lambda entry: -entry.expiry)
                    events = self.events[key] = events[:kept]
                if not events:
                    self.events.pop(key, None)
                    if key not in self.storage:
                        self.locks.pop(key, None)
        for key in list(self.expirations):
            if self.expirations.get(key, math.inf) <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                if key not in self.events:
                    self.locks.pop(key, None)


def skip_idle_middleware(app: Flask, limiter: Any) -> None:
    """Make the limiter's per-request hook return at once when it has nothing to check.

    The hook would find limits only where there are application, default, blueprint or meta
    limits, an in-memory fallback in force (the storage is down), or an endpoint "hint" (a
    decorated helper, not the view, that ran under an endpoint before). When any of them
    exists, the hook does its full work as before.
    """
    hooks = app.before_request_funcs.get(None, [])
    check = limiter._check_request_limit  # noqa: SLF001 - the bound method Flask-Limiter registered
    manager = limiter.limit_manager

    def busy() -> bool:
        return bool(
            manager._application_limits  # noqa: SLF001
            or manager._default_limits  # noqa: SLF001
            or manager._blueprint_limits  # noqa: SLF001
            or limiter._meta_limits  # noqa: SLF001
            or (limiter._storage_dead and limiter._in_memory_fallback_enabled)  # noqa: SLF001
            or manager.has_hints(request.endpoint or "")
        )

    def check_when_busy() -> None:
        if busy():
            check()

    for i, hook in enumerate(hooks):
        if hook == check:
            hooks[i] = check_when_busy
