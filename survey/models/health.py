"""One row that /healthz rewrites, so the check proves a write reaches the disk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base, utcnow

__all__ = ["Heartbeat"]


class Heartbeat(Base):
    """The time of the last successful health-check write (a single row, id 1)."""

    __tablename__ = "health_heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    beat_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
