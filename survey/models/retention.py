"""The record of audit entries moved out of the database into an archive file (retention)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.audit import AuditLogIsAppendOnly
from survey.models.base import Base, utcnow

__all__ = ["AuditArchive"]


class AuditArchive(Base):
    """One archive file of audit entries: which entries (``id <= up_to_id`` and ``at < cutoff``),
    how many, and the SHA-256 of the file.

    The database lets an audit entry be deleted only when such a record covers it (triggers of
    migration 0060), and this table is append-only itself: entries leave the database only
    through `sipas retention`, which writes the file first and logs the archive as an entry.
    """

    __tablename__ = "audit_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cutoff: Mapped[datetime] = mapped_column(DateTime)
    up_to_id: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(254))


def _refuse(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("audit archive records are never changed or deleted")


event.listen(AuditArchive, "before_update", _refuse)
event.listen(AuditArchive, "before_delete", _refuse)
