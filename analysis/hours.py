"""Opening hours of a service point: parse ``mon-fri 07:00-11:30,13:30-17:00; sat 07:30-11:30``.

Day groups are separated by ``;``; each names English day abbreviations (``mon`` … ``sun``),
single or as a range (``mon-fri``, ``fri-mon`` wraps), comma-separated lists allowed
(``mon,wed``), then one or more ``HH:MM-HH:MM`` intervals separated by ``,``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

import numpy as np
import pandas as pd

from analysis.errors import DataError

__all__ = ["OpeningHours", "is_open", "parse_opening_hours"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_GROUP = re.compile(r"^\s*(?P<days>[a-z]{3}(?:\s*[-,]\s*[a-z]{3})*)\s+(?P<times>.+?)\s*$")
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class OpeningHours:
    """Open intervals per weekday (0 = Monday), in minutes since midnight, end exclusive."""

    text: str
    days: Mapping[int, tuple[tuple[int, int], ...]]


def _fail(text: str, why: str) -> DataError:
    return DataError(f"opening hours '{text}': {why}")


def _days(spec: str, text: str) -> list[int]:
    out: list[int] = []
    for part in spec.replace(" ", "").split(","):
        ends = part.split("-")
        if any(d not in DAYS for d in ends) or len(ends) > 2:
            raise _fail(text, f"'{part}' is not a day or day range (mon … sun)")
        start, stop = DAYS.index(ends[0]), DAYS.index(ends[-1])
        out += [(start + k) % 7 for k in range((stop - start) % 7 + 1)]
    return out


def _intervals(spec: str, text: str) -> list[tuple[int, int]]:
    out = []
    for part in spec.split(","):
        m = _INTERVAL.match(part)
        if not m:
            raise _fail(text, f"'{part.strip()}' is not an interval HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(v) for v in m.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or end > 24 * 60 or start >= end:
            raise _fail(text, f"'{part.strip()}' is not a valid interval within one day")
        out.append((start, end))
    return out


def parse_opening_hours(text: str) -> OpeningHours:
    """Parse opening-hours text.

    Raises
    ------
    DataError
        Naming the text and the part that does not parse.

    Examples
    --------
    >>> parse_opening_hours("mon-fri 07:00-11:30,13:30-17:00; sat 07:30-11:30").days[5]
    ((450, 690),)
    """
    days: dict[int, list[tuple[int, int]]] = {}
    groups = [g for g in text.lower().split(";") if g.strip()]
    if not groups:
        raise _fail(text, "empty")
    for group in groups:
        m = _GROUP.match(group)
        if not m:
            raise _fail(text, f"'{group.strip()}' is not 'days HH:MM-HH:MM[,HH:MM-HH:MM]'")
        for day in _days(m["days"], text):
            days.setdefault(day, []).extend(_intervals(m["times"], text))
    return OpeningHours(text, MappingProxyType({d: tuple(sorted(v)) for d, v in sorted(days.items())}))


def is_open(hours: OpeningHours, times: pd.Series | datetime, grace_minutes: float = 0) -> pd.Series | bool:
    """Whether each timestamp (local wall time) falls inside the opening hours, widened by
    ``grace_minutes`` on both sides of every interval (within the same day).

    Vectorised: one comparison per (weekday, interval) over the whole series; NaT is open
    (no evidence against it). A single datetime gives a single bool.
    """
    if not isinstance(times, pd.Series):
        return bool(is_open(hours, pd.Series([times]), grace_minutes).iloc[0])
    stamp = pd.to_datetime(times)
    day = stamp.dt.day_of_week.to_numpy()
    minute = (stamp.dt.hour * 60 + stamp.dt.minute + stamp.dt.second / 60.0).to_numpy()
    inside = stamp.isna().to_numpy().copy()
    for weekday, intervals in hours.days.items():
        today = day == weekday
        for start, end in intervals:
            inside |= today & (minute >= start - grace_minutes) & (minute < end + grace_minutes)
    return pd.Series(np.asarray(inside, dtype=bool), index=times.index)
