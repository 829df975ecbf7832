"""Dossier counts from the one-stop system: how many procedures each counter handled per month.

They are the population totals N_c of post-stratification (weights N_c / n_c per counter and
month, METHOD §4) and the denominators of response rates. Only counts: never a dossier's
number or its applicant.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base, utcnow

__all__ = ["DossierCount"]


class DossierCount(Base):
    """Dossiers handled at one counter in one calendar month (``month`` is its first day)."""

    __tablename__ = "dossier_count"
    __table_args__ = (
        UniqueConstraint("point_id", "month"),
        CheckConstraint("dossiers >= 0", name="dossiers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"))
    month: Mapped[date] = mapped_column(Date)
    dossiers: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
