"""Citizens' responses and their answers (long format: one row per answer).

No column here may hold personal data: no name, phone, ID number, address or raw IP.
`device_hash` is a salted hash of a random cookie id, only used to flag bursts.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.models.base import Base, utcnow

__all__ = ["CHANNELS", "Answer", "Response"]

CHANNELS = ("qr", "link", "paper", "kiosk")


def _public_id() -> str:
    return str(uuid.uuid4())


class Response(Base):
    """One completed questionnaire, at a service point (or paper/household data without one)."""

    __tablename__ = "response"
    __table_args__ = (
        CheckConstraint(f"channel IN ({', '.join(repr(c) for c in CHANNELS)})", name="channel"),
        CheckConstraint("weight >= 0", name="weight"),
        CheckConstraint("duration_s IS NULL OR duration_s >= 0", name="duration"),
        # Covers the policy-group rotation's count per point and period on every form load.
        Index("ix_response_point_period_group", "point_id", "period_id", "policy_group"),
        Index("ix_response_unit_submitted", "unit_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True, default=_public_id)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"))
    # The unit the point belonged to at submit time; kept even if the point moves later.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    period_id: Mapped[int | None] = mapped_column(ForeignKey("period.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10), default="qr")
    language: Mapped[str] = mapped_column(String(8), default="vi")
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    device_hash: Mapped[str | None] = mapped_column(String(64))
    # One response per form load: a double tap or a replayed POST finds the first one.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    policy_group: Mapped[str | None] = mapped_column(String(8))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    # Data-quality flags as stored: those an import carried (``flags_given``) joined with those
    # the checks of analysis.quality found (survey/aggregates keeps them current).
    flags: Mapped[str] = mapped_column(String(200), default="")
    flags_given: Mapped[str] = mapped_column(String(200), default="")

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Base):
    """One answer code (or free text) to one item; a multi-choice item has one row per code."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("response_id", "item_code", "value"),
        CheckConstraint("value IS NOT NULL OR text IS NOT NULL", name="has_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    item_code: Mapped[str] = mapped_column(String(16))
    value: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")
