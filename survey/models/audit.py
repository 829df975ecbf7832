"""The audit log: every admin write and every login attempt, append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base, utcnow

__all__ = ["AuditLog", "AuditLogIsAppendOnly"]


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


class AuditLog(Base):
    """Who did what, when, to which object, with the values before and after (JSON)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # The e-mail is copied so that the entry still reads right after the account changes.
    actor: Mapped[str] = mapped_column(String(254), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(50), index=True)
    target_type: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


def _refuse(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("audit entries are never changed or deleted")


# The database refuses too (triggers in migration 0002); this catches it earlier, in the ORM.
event.listen(AuditLog, "before_update", _refuse)
event.listen(AuditLog, "before_delete", _refuse)
