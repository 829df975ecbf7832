"""Health check for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from survey.extensions import db, limiter

__all__ = ["bp"]

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """200 {"status": "ok"}, or 503 naming each component that is down."""
    down = []
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means the database is unusable
        db.session.rollback()
        down.append("database")
    try:
        limiter.storage.check() or down.append("ratelimit_storage")
    except Exception:  # noqa: BLE001
        down.append("ratelimit_storage")
    if down:
        return jsonify(status="error", down=down), 503
    return jsonify(status="ok"), 200
