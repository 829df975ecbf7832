"""The SQLite rate-limit storage: counts shared by processes, the limits protocol honoured."""

from __future__ import annotations

import multiprocessing

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter

from survey.ratelimit import SQLiteStorage


def _hits(uri: str, n: int, out) -> None:  # type: ignore[no-untyped-def]
    limiter = SlidingWindowCounterRateLimiter(storage_from_string(uri))
    item = parse("30 per minute")
    out.put(sum(limiter.hit(item, "phone", "abc") for _ in range(n)))


def test_two_processes_share_one_budget(tmp_path) -> None:
    """Two worker processes hitting one key get 30 allowed hits in all, not 30 each."""
    uri = f"sqlite:///{tmp_path}/limits.sqlite3"
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hits, args=(uri, 25, out)) for _ in range(2)]
    for p in procs:
        p.start()
    allowed = out.get(timeout=60) + out.get(timeout=60)
    for p in procs:
        p.join(30)
    assert allowed == 30


def test_memory_storage_does_not_share(tmp_path) -> None:
    """The contrast: with memory:// each process counts alone (why a shared storage is needed)."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hits, args=("memory://", 25, out)) for _ in range(2)]
    for p in procs:
        p.start()
    allowed = out.get(timeout=60) + out.get(timeout=60)
    for p in procs:
        p.join(30)
    assert allowed == 50


def test_scheme_is_registered_and_fixed_window_works(tmp_path) -> None:
    """`sqlite:///path` gives this storage; incr, get, clear and expiry behave as the protocol says."""
    storage = storage_from_string(f"sqlite:///{tmp_path}/l.sqlite3")
    assert isinstance(storage, SQLiteStorage)
    assert storage.check()
    limiter = FixedWindowRateLimiter(storage)
    item = parse("3 per hour")
    assert [limiter.hit(item, "k") for _ in range(4)] == [True, True, True, False]
    assert storage.incr("x", 60) == 1 and storage.incr("x", 60, amount=4) == 5 and storage.get("x") == 5
    assert 0 < storage.get_expiry("x") - __import__("time").time() <= 60
    storage.clear("x")
    assert storage.get("x") == 0
    assert storage.incr("gone", 0) == 1 and storage.get("gone") == 0  # expired at once


def test_sliding_window_weighs_the_previous_window(tmp_path, monkeypatch) -> None:
    """Half-way into a window, half of the previous window's hits still count (as limits defines)."""
    import survey.ratelimit as mod

    storage = SQLiteStorage(f"sqlite:///{tmp_path}/l.sqlite3")
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = parse("10 per minute")
    clock = [6000.0]  # the start of a window (6000 = 100 * 60)
    monkeypatch.setattr(mod.time, "time", lambda: clock[0])
    assert sum(limiter.hit(item, "k") for _ in range(10)) == 10
    clock[0] = 6090.0  # half-way through the next window: 10 * 0.5 = 5 still count
    assert sum(limiter.hit(item, "k") for _ in range(10)) == 5


def test_app_uses_it_from_the_environment_setting(app, tmp_path) -> None:
    """SIPAS_RATELIMIT_STORAGE=sqlite:///… gives the app's limiter this storage (and /healthz checks it)."""
    from survey import create_app
    from tests.conftest import TEST_CONFIG

    other = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": f"sqlite:///{tmp_path}/app.sqlite3",
        }
    )
    from survey.extensions import limiter

    with other.app_context():
        assert isinstance(limiter.storage, SQLiteStorage)
    assert other.test_client().get("/healthz").get_json() == {"status": "ok"}
    from survey.extensions import db

    with other.app_context():
        db.engine.dispose()
