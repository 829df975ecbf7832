"""Languages of the citizen's survey stored in the database: translations and recordings.

A translation keeps the Vietnamese wording it was made from, so a question reworded later is
seen as untranslated (the language stops being offered) instead of showing a stale text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base, utcnow

__all__ = ["Language", "Recording", "Translation"]


class Language(Base):
    """A language with stored texts or recordings; `version` changes with every change of either."""

    __tablename__ = "survey_language"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    endonym: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Translation(Base):
    """The text of one code (``item.B1.1``, ``option.sat5.4``, ``ui.…``) in one language."""

    __tablename__ = "survey_translation"
    __table_args__ = (UniqueConstraint("lang", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(ForeignKey("survey_language.code", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)  # the Vietnamese it translates


class Recording(Base):
    """A short recording of one question or option (Opus or MP3, at most 20 KB)."""

    __tablename__ = "survey_recording"
    __table_args__ = (
        UniqueConstraint("lang", "code"),
        CheckConstraint("mime IN ('audio/ogg', 'audio/mpeg')", name="mime"),
        CheckConstraint("size <= 20480", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(ForeignKey("survey_language.code", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    mime: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64), index=True)  # sha256: its URL, cached for good
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
