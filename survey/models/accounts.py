"""Officials' accounts (admin, analyst, unit viewer) and API keys for one-stop software."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.models.base import Base, utcnow
from survey.models.units import Unit

__all__ = ["ROLES", "ApiKey", "User"]

ROLES = ("admin", "analyst", "viewer")


class User(Base):
    """An official who logs in; a viewer is scoped to one unit and its subtree."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
        # A viewer without a unit would see nothing, or worse, everything.
        CheckConstraint("role <> 'viewer' OR unit_id IS NOT NULL", name="viewer_has_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Raised by logout: every session cookie issued before stops working at its next request.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    unit: Mapped[Unit | None] = relationship()

    # Flask-Login protocol, written out rather than inherited so `active` stays a column.
    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class ApiKey(Base):
    """A key for an integration (e.g. one-stop software minting receipt codes); only its hash is kept."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters, shown in lists so an officer can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    created_by: Mapped[User | None] = relationship()
