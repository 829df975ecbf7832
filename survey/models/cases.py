"""Citizens' cases: a comment a unit answers, its notes, a consented call-back number, settings.

Where personal data may sit, for retention (Law 91/2025, Decree 13/2023):

* ``citizen_case.text`` — the citizen's comment, **masked** at write time (no phone, ID or
  e-mail); set to NULL (and ``text_removed_at`` set) when retention removes it;
* ``case_contact`` — the phone number a citizen gave, with consent, to be called back: one
  row per case, in its own table (the response table points to nothing here), deleted when the
  case closes.

The response's own ``C1`` answer holds the same masked text (exports and imports keep their
format); :mod:`survey.cases.retention` clears both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.models.accounts import User
from survey.models.base import Base, utcnow
from survey.models.units import ServicePoint, Unit

__all__ = ["CASE_CATEGORIES", "CASE_STATUSES", "Case", "CaseContact", "CaseNote", "CaseSetting", "DigestRun"]

CASE_STATUSES = ("new", "in_progress", "answered", "closed")
CASE_CATEGORIES = ("suggestion", "complaint", "praise", "misconduct")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Case(Base):
    """A citizen's comment as a case of its unit: category, status, assignee, public reply."""

    __tablename__ = "citizen_case"
    __table_args__ = (
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        CheckConstraint(_in("category", CASE_CATEGORIES), name="category"),
        CheckConstraint("status <> 'closed' OR closed_at IS NOT NULL", name="closed_at"),
        Index("ix_citizen_case_unit_status", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the citizen's code; paper and older comments have none.
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The response the comment came with (to clear its C1 text on retention); never shown.
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("response.id", ondelete="SET NULL"), unique=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"))
    period_id: Mapped[int | None] = mapped_column(ForeignKey("period.id"), index=True)
    category: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="new")
    text: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)  # first public reply
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)  # latest change of the reply
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    text_removed_at: Mapped[datetime | None] = mapped_column(DateTime)

    unit: Mapped[Unit] = relationship()
    point: Mapped[ServicePoint | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseNote.id"
    )
    contact: Mapped[CaseContact | None] = relationship(
        back_populates="case", cascade="all, delete-orphan", uselist=False
    )

    @property
    def escalated(self) -> bool:
        """An allegation of misconduct: Sở Nội vụ's, never the accused unit's."""
        return self.category == "misconduct"

    @property
    def is_open(self) -> bool:
        """Still waiting for an answer."""
        return self.status in ("new", "in_progress")


class CaseNote(Base):
    """An internal note on a case, seen by the officials who work it, never by the citizen."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("citizen_case.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Copied so the note still reads right after the account changes.
    author: Mapped[str] = mapped_column(String(254))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="notes")


class CaseContact(Base):
    """A phone number a citizen left, with explicit consent, to be called back about one case.

    Deleted when the case closes. ``consent`` is the exact statement the citizen agreed to.
    """

    __tablename__ = "case_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("citizen_case.id", ondelete="CASCADE"), unique=True)
    phone: Mapped[str] = mapped_column(String(20))
    consent: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="vi")
    consented_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="contact")


class CaseSetting(Base):
    """Sở Nội vụ's settings of case handling (classifier phrases, official channels), as JSON."""

    __tablename__ = "case_setting"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DigestRun(Base):
    """One run of the daily digest: new cases are those since the last run that sent."""

    __tablename__ = "digest_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    since: Mapped[datetime] = mapped_column(DateTime)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
