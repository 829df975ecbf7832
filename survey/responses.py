"""The one write path of a response: answers in long format, flushed, committed by the caller."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import insert, select

from survey import aggregates
from survey.cases.intake import intake_free_text
from survey.extensions import db
from survey.models import Answer, Period, Response, ServicePoint, utcnow
from survey.sanitize import clean_answers

__all__ = ["answer_rows", "find_by_key", "store_response"]

_INSERT_ANSWERS = insert(Answer.__table__)  # built once; see store_response


def answer_rows(
    response_id: int, answers: Mapping[str, int | tuple[int, ...] | str]
) -> list[dict[str, object]]:
    """Answer rows (for one bulk INSERT) of a mapping of item code to code, codes (multi) or text."""
    rows: list[dict[str, object]] = []
    for code, value in answers.items():
        if isinstance(value, str):
            rows.append({"response_id": response_id, "item_code": code, "value": None, "text": value})
        else:
            for v in value if isinstance(value, tuple) else (value,):
                rows.append({"response_id": response_id, "item_code": code, "value": int(v), "text": None})
    return rows


def store_response(
    *,
    point: ServicePoint,
    period: Period | None,
    answers: Mapping[str, int | tuple[int, ...] | str],
    policy_group: str | None,
    language: str,
    channel: str = "qr",
    duration_s: int | None = None,
    device_hash: str | None = None,
    idempotency_key: str | None = None,
    submitted_at: datetime | None = None,
) -> Response:
    """Add a response with its answers to the session and flush (the caller commits)."""
    response = Response(
        point_id=point.id,
        unit_id=point.unit_id,
        period_id=period.id if period else None,
        channel=channel,
        language=language,
        submitted_at=submitted_at or utcnow(),
        duration_s=duration_s,
        device_hash=device_hash,
        idempotency_key=idempotency_key,
        policy_group=policy_group,
    )
    db.session.add(response)
    db.session.flush()
    # Control characters go first; then personal data is masked out of free text, and a comment
    # opens a case, before any row holds it.
    answers = intake_free_text(response, clean_answers(answers))
    rows = answer_rows(response.id, answers)
    if rows:
        # One executemany of a statement built once, on the session's connection: ORM
        # unit-of-work per answer row cost more than everything else the request did, and the
        # ORM's bulk path around a plain insert still cost about as much as the insert.
        db.session.connection().execute(_INSERT_ANSWERS, rows)
    aggregates.record_response(response)  # versions, rotation counts, the day to fold: survey/aggregates
    return response


def find_by_key(key: str) -> Response | None:
    """The response already stored for a form load, if any."""
    return db.session.scalars(select(Response).where(Response.idempotency_key == key)).first()
