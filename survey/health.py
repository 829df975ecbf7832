"""Health check for load balancers and monitoring: can we write, and within how long.

A `SELECT 1` answers even when the disk is full or the database is read-only, so the check
commits a one-row heartbeat instead: the write that citizens' answers need. It runs in a
helper thread and the answer waits at most SIPAS_HEALTH_TIMEOUT seconds (default 2): a paused
database makes /healthz say so at once, not hang with it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import insert, text, update
from sqlalchemy.exc import IntegrityError

from survey.extensions import db, limiter
from survey.models import Heartbeat, utcnow

__all__ = ["bp"]

bp = Blueprint("health", __name__)

# A few threads: a check may still be stuck on a paused database while the next one runs.
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sipas-health")


def _write_heartbeat(app: Flask, timeout_s: float) -> None:
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}"))
        now = utcnow()
        if conn.execute(update(Heartbeat).where(Heartbeat.id == 1).values(beat_at=now)).rowcount == 0:
            try:
                conn.execute(insert(Heartbeat).values(id=1, beat_at=now))
            except IntegrityError:  # another check inserted it first: that write succeeded
                conn.rollback()
                return
        conn.commit()


def _check_limiter(app: Flask) -> bool:
    with app.app_context():
        if not current_app.config["RATELIMIT_ENABLED"]:  # rate limiting switched off: no storage to reach
            return True
        return bool(limiter.storage.check())


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """200 {"status": "ok"}, or 503 naming each component that is down or too slow."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    timeout_s = float(app.config["SIPAS_HEALTH_TIMEOUT"])
    deadline = time.monotonic() + timeout_s
    checks = {
        "database": _pool.submit(_write_heartbeat, app, timeout_s),
        "ratelimit_storage": _pool.submit(_check_limiter, app),
    }
    down = []
    for name, future in checks.items():
        try:
            ok = future.result(timeout=max(0.0, deadline - time.monotonic())) is not False
        except FutureTimeout:
            ok = False
        except Exception:  # noqa: BLE001 - any failure means the component is unusable
            ok = False
        if not ok:
            down.append(name)
    if down:
        return jsonify(status="error", down=down), 503
    return jsonify(status="ok"), 200
