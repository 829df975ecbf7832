"""Improvement actions: what a unit does about a criterion, and from when (the plan's follow-up)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.models.accounts import User
from survey.models.base import Base, utcnow
from survey.models.units import Unit

__all__ = ["ImprovementAction"]


class ImprovementAction(Base):
    """One action of a unit against one criterion (an item such as B1.2 or an element such as
    A2); its effect is measured from the responses before and after ``starts_on``."""

    __tablename__ = "improvement_action"
    __table_args__ = (CheckConstraint("length(criterion) > 0", name="criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    criterion: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()
