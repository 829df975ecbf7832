"""Working days: when a case is due, and how long its answer took.

Deadlines for handling citizens' feedback are counted in working days (Monday to Friday,
minus public holidays, plus Saturdays worked in exchange for a bridged day), as agencies
count them. The calendar is data (``holidays-vn.toml``, or the file named by
``SIPAS_CASES_HOLIDAYS``). A case received on day D with N working days to answer is due at
the end of the N-th working day after D, whatever time of D it came in; a case received on a
Saturday is due N working days after it (its first day counts from Monday).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

__all__ = ["SHIPPED", "Calendar", "load_calendar"]

SHIPPED = Path(__file__).with_name("holidays-vn.toml")


@dataclass(frozen=True)
class Calendar:
    """Days off and weekend days worked."""

    holidays: frozenset[date]
    workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()

    def is_working_day(self, day: date) -> bool:
        """Whether agencies work on this day."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself never counts)."""
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` ≤ ``start``)."""
        return sum(self.is_working_day(start + timedelta(days=k)) for k in range(1, (end - start).days + 1))


def _dates(entries: list[dict[str, object]], key: str, path: Path) -> frozenset[date]:
    out = set()
    for pos, entry in enumerate(entries, 1):
        value = entry.get("date")
        if not isinstance(value, date):
            raise ValueError(f"{path}: [[{key}]] number {pos}: 'date' must be a date such as 2026-09-02")
        out.add(value)
    return frozenset(out)


def load_calendar(path: str | Path | None = None) -> Calendar:
    """The calendar of a TOML file (default: the shipped Vietnamese one); ValueError naming the entry."""
    path = Path(path) if path else SHIPPED
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    holidays = _dates(data.get("holiday", []), "holiday", path)
    workdays = _dates(data.get("workday", []), "workday", path)
    return Calendar(holidays, workdays, frozenset(d.year for d in holidays | workdays))
