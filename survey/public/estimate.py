"""How long the survey takes, measured: the median time of recent real responses.

Shown on the first page and on the counter's poster ("khoảng N phút"), so the promise is what
people actually spend, not a guess. Cheap by construction: one query reads the durations of
the newest responses by primary key (never a scan over all responses), and the figure is kept
per process, keyed by the instrument's id and version, and refreshed every few minutes.
"""

from __future__ import annotations

import math
import statistics
import time

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from analysis.instrument import Instrument
from analysis.quality import SPEEDER_SECONDS
from survey.extensions import db
from survey.models import Response
from survey.public.pages import path_for

__all__ = ["SAMPLE", "minutes", "seconds"]

SAMPLE = 300  # newest responses read
MIN_SAMPLE = 30  # fewer than this: estimate from the questions instead
LONGEST_S = 3600  # a form left open for an hour says nothing about answering time
SECONDS_PER_QUESTION = 12  # the fallback: a careful reader on a phone
REFRESH_S = 600


def _measured() -> float | None:
    """Median seconds of the newest responses sent from the survey form, excluding outliers.

    Speeders (METHOD §4: under 20 s) and forms left open past an hour are left out, and so are
    responses with stored quality flags.
    """
    rows = db.session.scalars(
        select(Response.duration_s)
        .where(Response.channel == "qr", Response.duration_s.is_not(None), Response.flags == "")
        .order_by(Response.id.desc())
        .limit(SAMPLE)
    ).all()
    usable = [d for d in rows if SPEEDER_SECONDS <= d <= LONGEST_S]
    return statistics.median(usable) if len(usable) >= MIN_SAMPLE else None


def seconds(ins: Instrument) -> float:
    """Typical seconds to answer: measured when enough responses exist, else from the questions."""
    cache = current_app.extensions.setdefault("sipas_estimate", {})
    key = (ins.id, ins.version)
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[1] < REFRESH_S:
        return float(hit[0])
    try:
        value = _measured()
    except SQLAlchemyError:  # the page is drawn during a database fault: no figure is kept
        _reset()
        return float(path_for(ins, {}).total * SECONDS_PER_QUESTION)
    if value is None:
        # The shortest path: the screeners answered "hand in papers", no earlier feedback.
        value = path_for(ins, {}).total * SECONDS_PER_QUESTION
    cache[key] = (value, time.monotonic())
    return float(value)


def minutes(ins: Instrument) -> int:
    """The typical time in whole minutes, rounded up (never "0 minutes")."""
    return max(1, math.ceil(seconds(ins) / 60))


def forget() -> None:
    """Drop this process's figure (after importing responses, in tests)."""
    current_app.extensions.pop("sipas_estimate", None)


def _reset() -> None:
    """Leave the session usable after a failed query, even when the database is gone."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()
