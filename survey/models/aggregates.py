"""Bookkeeping kept beside the responses so that reads never count or scan them.

Every table here is derived from ``response`` and can be rebuilt from it (``sipas refresh
--rebuild``); the write path keeps them current. Keys use ``0`` for "no counter" and "no
period" instead of NULL, because a NULL never collides in a unique index and the upserts
of the write path rely on collisions.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base

__all__ = ["DataVersion", "ResponseCell", "ResponseDay", "RotationCount", "SetupVersion"]


class DataVersion(Base):
    """A counter per unit and period, raised by every change to their responses.

    A report's cache key sums the counters of the units it covers: an insert, a delete, a
    flag change or an import anywhere in them changes the sum, and reading it touches one row
    per unit and period instead of every response.
    """

    __tablename__ = "data_version"
    __table_args__ = (UniqueConstraint("unit_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    period_key: Mapped[int] = mapped_column(Integer)  # period id, 0 = outside every period
    version: Mapped[int] = mapped_column(Integer, default=0)


class RotationCount(Base):
    """Responses per counter, period and policy group: the balanced rotation reads this row set
    on every form load instead of counting the counter's responses."""

    __tablename__ = "rotation_count"
    __table_args__ = (UniqueConstraint("point_id", "period_id", "policy_group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"))
    policy_group: Mapped[str] = mapped_column(String(8))  # "" = no group asked
    responses: Mapped[int] = mapped_column(Integer, default=0)


class ResponseDay(Base):
    """The responses of one counter (or of a unit without counter) on one local day.

    ``generation`` is raised by every change to them; ``folded`` is the generation whose rows
    the stored quality flags (and the day's cell statistics) were computed from, under the
    quality rules ``rules``. A day is dirty while ``folded < generation``: its rows are
    re-read once, in a batch, by the next reader or by ``sipas refresh`` — the submit path
    never waits for the analysis.
    """

    __tablename__ = "response_day"
    __table_args__ = (UniqueConstraint("unit_id", "point_key", "day", "period_key", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    point_key: Mapped[int] = mapped_column(Integer)  # service point id, 0 = none (paper data)
    day: Mapped[date] = mapped_column(Date)  # local day (Asia/Ho_Chi_Minh) of submission
    period_key: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    folded: Mapped[int] = mapped_column(Integer, default=0)
    rules: Mapped[str] = mapped_column(String(16), default="")
    # Stored responses of the key: the officials' count tables add these up.
    responses: Mapped[int] = mapped_column(Integer, default=0)
    folded_at: Mapped[datetime | None] = mapped_column(DateTime)


class ResponseCell(Base):
    """The sufficient statistics (``analysis.cells``) of one day's responses with one quality
    label: reports add these up instead of reading the responses.

    One row per ``response_day`` row and ``flags`` label ('' = clean), written when the day is
    folded (survey/aggregates/settle.py), from the same rows and flags. ``layout`` is the hex
    fingerprint of the instrument layout the bytes were made under: cells of another layout
    are recomputed from the responses, never read. ``newest`` is the latest ``submitted_at``
    among the cell's responses (the reports' "as of"). The unit and counter are those of the
    day row; a merged unit's cells are given to its successor when read.
    """

    __tablename__ = "response_cell"
    __table_args__ = (UniqueConstraint("day_id", "flags"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("response_day.id", ondelete="CASCADE"))
    flags: Mapped[str] = mapped_column(String(200), default="")
    layout: Mapped[str] = mapped_column(String(16))
    responses: Mapped[int] = mapped_column(Integer)
    newest: Mapped[datetime] = mapped_column(DateTime)
    stats: Mapped[bytes] = mapped_column(LargeBinary)


class SetupVersion(Base):
    """One counter raised by every change to units, counters or periods (row id 1).

    Each app process keeps the counters and periods it looked up while this number stays
    the same; reading it is one primary-key lookup per request, so a rotated or revoked code
    or a closed period is seen by every server at the next request.
    """

    __tablename__ = "setup_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
