"""From the write path: free text masked, and every non-empty comment opened as a case.

``survey/responses.py`` calls :func:`intake_free_text` once per response, before any answer
row is written, so the raw text never reaches the database; a paper import calls
:func:`open_imported_cases` on the rows it inserted, in the same transaction, before its
commit. Only the SHA-256 of a case code is stored; the code itself goes to the thank-you page
(survey/cases/receipt.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from sqlalchemy import select

from survey.cases import receipt
from survey.cases.classify import classify
from survey.cases.codes import code_hash, new_code
from survey.cases.masking import mask_text
from survey.cases.settings import keywords
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Answer, Case, Response, utcnow

__all__ = ["intake_free_text", "open_case", "open_imported_cases"]

V = TypeVar("V")


def _fresh_code() -> str:
    """A code whose hash no case has yet (a clash is ~1e-9 per case, but a clash would fail the insert)."""
    while True:
        code = new_code()
        if db.session.scalar(select(Case.id).where(Case.code_hash == code_hash(code))) is None:
            return code


def open_case(response: Response, text: str, *, with_code: bool = True) -> Case:
    """A new case for a response's (already masked) comment, classified; flushed, not committed."""
    now = utcnow()
    case = Case(
        response_id=response.id,
        unit_id=response.unit_id,
        point_id=response.point_id,
        period_id=response.period_id,
        category=classify(text, keywords()).category,
        status="new",
        text=text,
        created_at=response.submitted_at or now,
        updated_at=now,
    )
    if with_code:
        code = _fresh_code()
        case.code_hash = code_hash(code)
        receipt.remember(code)
    db.session.add(case)
    db.session.flush()
    return case


def intake_free_text(response: Response, answers: Mapping[str, V]) -> dict[str, V]:
    """The answers with every free text masked; a non-empty comment opens a case of the response."""
    masked: dict[str, V] = {
        code: mask_text(value).strip() if isinstance(value, str) else value  # type: ignore[misc]
        for code, value in answers.items()
    }
    comment = " ".join(v for v in masked.values() if isinstance(v, str) and v)
    if comment:
        open_case(response, comment)
    return masked


def open_imported_cases(response_ids: Iterable[int]) -> int:
    """Mask the free text of just-inserted responses and open their cases (no code: nobody holds one).

    A paper comment reaches the unit when it is imported, so its case is received now.
    """
    ids = list(response_ids)
    texts = {i.code for i in instrument().items.values() if i.kind == "text"}
    if not ids or not texts:
        return 0
    rows = db.session.scalars(
        select(Answer).where(
            Answer.response_id.in_(ids), Answer.item_code.in_(texts), Answer.text.is_not(None)
        )
    ).all()
    comments: dict[int, list[str]] = {}
    for row in rows:
        row.text = mask_text(row.text or "")
        if row.text and row.text.strip():
            comments.setdefault(row.response_id, []).append(row.text)
    db.session.flush()
    now = utcnow()
    for response in db.session.scalars(select(Response).where(Response.id.in_(list(comments)))):
        case = open_case(response, " ".join(comments[response.id]), with_code=False)
        case.created_at = now
    return len(comments)
