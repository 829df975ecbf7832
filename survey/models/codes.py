"""Single-use receipt codes and the tokens of old posters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.models.base import Base, utcnow
from survey.models.units import ServicePoint

__all__ = ["ReceiptCode", "RetiredToken"]


class ReceiptCode(Base):
    """An opaque code printed on a receipt: opens the survey of its point once.

    Only a hash of the code is kept, with its point and expiry: no dossier number, no person.
    Its use is kept as a flag and a local date, never a time: whoever minted a code for a
    dossier must not find the response it opened by matching the moment it was used.
    """

    __tablename__ = "receipt_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    used_on: Mapped[date | None] = mapped_column(Date)

    point: Mapped[ServicePoint] = relationship()


class RetiredToken(Base):
    """A QR token that was rotated or revoked, so an old poster gets a clear page, not a bare 404."""

    __tablename__ = "retired_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"), index=True)
    reason: Mapped[str] = mapped_column(String(10))  # 'rotated' or 'revoked'
    retired_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    point: Mapped[ServicePoint] = relationship()
