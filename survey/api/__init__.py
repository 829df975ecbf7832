"""JSON API under /api/v1: API-key endpoints for integrations, session endpoints for officials.

No cookies are trusted for writes here (CSRF does not apply to bearer keys); anonymous callers
get 401 JSON.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, current_app, g, jsonify, request
from flask import Response as FlaskResponse
from flask_login import current_user
from sqlalchemy import select

from survey import receipts
from survey.accounts import api_key_for
from survey.auth.access import require_role, visible_unit_ids
from survey.extensions import csrf, db, limiter
from survey.models import ServicePoint, Unit, utcnow
from survey.validation import InputError

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def require_api_key() -> None:
    """The request's `Authorization: Bearer <key>` must be a live API key; 401 otherwise."""
    header = request.headers.get("Authorization", "")
    key = api_key_for(header[7:].strip()) if header.startswith("Bearer ") else None
    if key is None:
        abort(401)
    key.last_used_at = utcnow()
    g.audit_actor = f"api-key:{key.id}:{key.name}"


def _json_kind(value: object) -> str:
    """The JSON name of a parsed value's type, for error messages read by integrators."""
    kinds = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return kinds.get(type(value), "something else")


def _key_bucket() -> str:
    """Rate-limit key of the presented API key (a digest: no database read before the limit)."""
    header = request.headers.get("Authorization", "")
    return "api-key:" + hashlib.sha256(header.encode()).hexdigest()[:24]


def _whole(value: object, name: str, low: int, high: int) -> int:
    """A JSON integer within bounds; anything else (1e400, "5", true, 2.5) is refused, never a 500."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name}: expected a whole number between {low} and {high}, got {_json_kind(value)}")
    if not low <= value <= high:
        raise InputError(f"{name}: must be between {low} and {high}")
    return value


def _codes_asked() -> int:
    """How many codes the request asks for: the cost against the key's daily budget of codes."""
    body = request.get_json(silent=True)
    count = body.get("count", 1) if isinstance(body, dict) else 1
    return (
        count
        if isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= receipts.MAX_COUNT
        else 1
    )


def _limit(name: str):  # type: ignore[no-untyped-def]
    return lambda: str(current_app.config[name])


@bp.post("/receipt-codes")
# One-stop software mints a code per dossier: a key that mints far more is broken or stolen.
@limiter.limit(_limit("API_LIMIT_PER_KEY"), key_func=_key_bucket)
@limiter.limit(_limit("API_CODES_PER_KEY"), key_func=lambda: "codes-" + _key_bucket(), cost=_codes_asked)
def receipt_codes() -> tuple[FlaskResponse, int]:
    """Mint single-use codes for a counter: {unit_code, point_code, count?, ttl_days?} → 201 codes."""
    require_api_key()
    body = request.get_json(silent=True)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        message = f"body: expected a JSON object, got {_json_kind(body)}"
        return jsonify(error="invalid", message=message, status=422), 422
    point = db.session.scalar(
        select(ServicePoint)
        .join(Unit)
        .where(
            Unit.code == str(body.get("unit_code", "")), ServicePoint.code == str(body.get("point_code", ""))
        )
    )
    if point is None:
        abort(404)
    try:
        count = _whole(body.get("count", 1), "count", 1, receipts.MAX_COUNT)
        ttl_days = _whole(body.get("ttl_days", 30), "ttl_days", 1, receipts.MAX_TTL_DAYS)
        codes = receipts.mint(point, count, ttl_days)
    except InputError as exc:
        db.session.rollback()
        return jsonify(error="invalid", message=str(exc), status=422), 422
    db.session.commit()
    record = receipts.lookup(codes[0])
    expires_at = record.expires_at.replace(microsecond=0).isoformat() + "Z" if record else None
    items = [{"code": c, "url": receipts.receipt_url(c), "expires_at": expires_at} for c in codes]
    return jsonify(codes=items), 201


@bp.get("/units")
def units() -> FlaskResponse:
    """The units the logged-in official may read."""
    require_role("admin", "analyst", "viewer")
    visible = visible_unit_ids(current_user)
    query = select(Unit).order_by(Unit.code)
    if visible is not None:
        query = query.where(Unit.id.in_(visible))
    return jsonify(
        units=[
            {
                "code": u.code,
                "name": u.name,
                "kind": u.kind,
                "valid_to": u.valid_to and u.valid_to.isoformat(),
            }
            for u in db.session.scalars(query)
        ]
    )


from survey.api import indices  # noqa: E402,F401  (routes register on import)
