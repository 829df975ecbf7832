"""Working days: weekends, Vietnam's public holidays, Saturdays worked in exchange."""

from __future__ import annotations

from datetime import date

import pytest

from survey.cases.workdays import Calendar, load_calendar


@pytest.fixture(scope="module")
def vn() -> Calendar:
    return load_calendar()


def test_five_working_days_after_a_monday_is_the_next_monday(vn):
    """Mon 7/12/2026 + 5 working days = Mon 14/12/2026 (the weekend does not count)."""
    assert vn.add_working_days(date(2026, 12, 7), 5) == date(2026, 12, 14)


def test_a_case_received_on_saturday_counts_from_monday(vn):
    """Sat 12/12/2026 + 5 working days = Fri 18/12/2026."""
    assert vn.add_working_days(date(2026, 12, 12), 5) == date(2026, 12, 18)


def test_tet_2026_adds_a_week(vn):
    """Fri 13/2/2026 + 5: Tết (Mon 16 – Fri 20/2) and two weekends are skipped → Fri 27/2/2026."""
    assert vn.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_the_saturday_worked_for_national_day_counts(vn):
    """Sat 22/8/2026 is worked (for Mon 31/8): Fri 21/8 + 1 = Sat 22/8; Fri 28/8 + 1 = Thu 3/9."""
    assert vn.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
    assert vn.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),
        date(2026, 4, 27),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 9, 2),
        date(2026, 11, 24),
        date(2027, 1, 1),
        date(2027, 2, 8),
        date(2027, 4, 16),
        date(2027, 5, 3),
        date(2027, 9, 3),
    ],
)
def test_public_holidays_are_not_working_days(vn, day):
    """Statutory holidays (and days taken for one on a weekend) are days off."""
    assert not vn.is_working_day(day)


def test_shipped_calendar_covers_2026_and_2027(vn):
    """The shipped data: 13 weekdays off in 2026 (31/8 bridged) and 12 in 2027, one Saturday worked.

    Counted by hand from Labour Code art. 111–112 and the 2026 announcements; the same days as
    the `holidays` package 0.109, ``holidays.VN(years=…)`` (weekdays of it).
    """
    by_year = {y: sum(d.year == y for d in vn.holidays) for y in (2026, 2027)}
    assert by_year == {2026: 13, 2027: 12}
    assert vn.workdays == frozenset({date(2026, 8, 22)})


def test_working_days_between_counts_after_the_first_day(vn):
    """Same day: 0; Mon → Fri of one week: 4; across Tết 2026: Fri 13/2 → Mon 23/2 is 1."""
    assert vn.working_days_between(date(2026, 12, 7), date(2026, 12, 7)) == 0
    assert vn.working_days_between(date(2026, 12, 7), date(2026, 12, 11)) == 4
    assert vn.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1


def test_a_calendar_file_with_a_bad_date_is_refused_naming_the_entry(tmp_path):
    """A holiday without a proper date is an error naming the file and the entry."""
    path = tmp_path / "holidays.toml"
    path.write_text('[[holiday]]\ndate = 2026-01-01\n[[holiday]]\ndate = "1/1"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"holidays.toml: \[\[holiday\]\] number 2"):
        load_calendar(path)
