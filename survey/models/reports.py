"""Computed report results, kept so that a report page renders without recomputing (SPEC §4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base, utcnow

__all__ = ["ReportCache"]


class ReportCache(Base):
    """The index JSON of one report scope (unit and period, or an API query), with what it was
    computed from. A row is valid only while ``family``, ``version`` and ``instrument`` still
    match: any new or deleted response changes the version, so the next view recomputes.
    """

    __tablename__ = "report_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "report:03408:2026" — one row per scope, overwritten when stale, so the table stays small.
    scope: Mapped[str] = mapped_column(String(200), unique=True)
    # Hash of the unit ids whose responses entered: a merge or a moved unit changes it.
    family: Mapped[str] = mapped_column(String(64))
    # "count:max(response.id)" of the selection.
    version: Mapped[str] = mapped_column(String(64))
    instrument: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
