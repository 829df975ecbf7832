"""Administrative units (a dated tree with successors), service points and survey periods."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.models.base import Base, utcnow

__all__ = ["UNIT_KINDS", "Period", "ServicePoint", "Unit", "new_token"]

# Since 1/7/2025 local government has two tiers; old districts, towns and pre-merger communes
# stay in the tree as expired units so that their history keeps its place.
UNIT_KINDS = ("province", "department", "service_centre", "district", "commune", "ward", "town")
DEFAULT_OPENING_HOURS = "mon-fri 07:00-11:30,13:30-17:00"


def new_token() -> str:
    """An unguessable URL-safe token (128 bits) for a service point's QR code."""
    return secrets.token_urlsafe(16)


class Unit(Base):
    """An administrative unit or agency (province, department, commune, ward …)."""

    __tablename__ = "unit"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in UNIT_KINDS)})", name="kind"),
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="dates"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    source: Mapped[str] = mapped_column(String(1000), default="")

    parent: Mapped[Unit | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list[Unit]] = relationship(foreign_keys=[parent_id], back_populates="parent")
    successor: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[successor_id])
    points: Mapped[list[ServicePoint]] = relationship(back_populates="unit")

    def is_current(self, on: date) -> bool:
        """Whether the unit exists on the given day."""
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


class ServicePoint(Base):
    """A counter (quầy) of a unit where citizens are served; its QR code carries `token`."""

    __tablename__ = "service_point"
    __table_args__ = (UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    opening_hours: Mapped[str] = mapped_column(String(200), default=DEFAULT_OPENING_HOURS)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="points")


class Period(Base):
    """A survey period; a response belongs to the period open when it is submitted."""

    __tablename__ = "period"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates"),
        # At most one open period, so "the open period" is never ambiguous.
        Index(
            "uq_period_one_open",
            "is_open",
            unique=True,
            sqlite_where=text("is_open = 1"),
            postgresql_where=text("is_open"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
