"""Case handling in the officials' reports: the unit report's figures and the province overview's
row per unit (open, overdue, escalated, median working days to a first reply, share on time)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from survey.models import utcnow
from tests.cases.conftest import World
from tests.factories import make_case


def _utc(day: int, hour: int = 2) -> datetime:
    """A naive UTC time in November 2026 (02:00 UTC is 09:00 in Vietnam, the same day)."""
    return datetime(2026, 11, day, hour)


@pytest.fixture
def handled(db, world: World) -> None:
    """Five cases of ward 03408, worked out by hand with the default 5 working days:

    * received Mon 2 Nov, first reply Wed 4 Nov: 2 working days (3, 4 Nov), on time;
    * received Mon 2 Nov, first reply Tue 17 Nov: 11 working days (3–6, 9–13, 16, 17 Nov), late;
    * received Mon 9 Nov, still new: due Mon 16 Nov, so overdue on any later day;
    * received now, still new: open, not overdue;
    * an allegation of misconduct: escalated, in no other figure.
    November 2026 has no public holiday in Vietnam. Median of (2, 11) = 6.5; on time 1 of 2.
    """
    make_case(world.ward, "Trả lời nhanh", status="answered", created_at=_utc(2), answered_at=_utc(4))
    late = make_case(world.ward, "Trả lời chậm", status="closed", created_at=_utc(2), answered_at=_utc(17))
    late.closed_at = _utc(18)
    make_case(world.ward, "Chưa ai trả lời", created_at=_utc(9))
    make_case(world.ward, "Mới gửi", created_at=utcnow())
    make_case(world.ward, "Cán bộ đòi tiền", category="misconduct", created_at=_utc(10))
    make_case(world.other, "Thiếu ghế", created_at=utcnow())
    db.session.commit()


def _cells(page: str, table_id: str, row: str = "") -> list[str]:
    """The numeric cells of the first body row of a table (of the row headed ``row`` if given)."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert table, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0).split("<tbody>")[1], re.S)
    match = [r for r in rows if row in r]
    assert match, (table_id, row)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="n"[^>]*>(.*?)</td>', match[0])]


def test_the_unit_report_shows_its_case_handling(as_viewer, handled):
    """Cases, open, overdue, escalated, median working days, on time — as counted by hand above."""
    page = as_viewer.get("/reports/03408?period=all").text
    assert _cells(page, "case-figures") == ["4", "2", "1", "1", "6,5", "50 %"]
    assert "Chưa ai trả lời" in page and "Cán bộ đòi tiền" not in page


def test_the_province_overview_has_a_row_per_unit_with_cases(as_admin, handled):
    """Sở Nội vụ sees each unit's figures; the province row adds up its wards."""
    page = as_admin.get("/reports/province?period=all").text
    assert _cells(page, "case-units", "Phường Tân Phong") == ["2", "1", "1", "6,5", "50 %"]
    assert _cells(page, "case-units", "Phường Đoàn Kết") == ["1", "0", "0", "—", "—"]
    assert _cells(page, "case-units", "Tỉnh Lai Châu") == ["3", "1", "1", "6,5", "50 %"]
