"""Unit reports: response counts of a unit's subtree and of the units merged into it, scoped per role."""

from __future__ import annotations

import csv
import io
import re

from survey.responses import store_response
from tests.admin.conftest import World


def answer(point, period=None, n: int = 1) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        store_response(point=point, period=period, answers={"B1.1": 4}, policy_group=None, language="vi")


def test_report_counts_by_period_and_counter_with_the_merged_units_history(
    as_viewer, db, world: World
) -> None:
    """The new ward's report counts its own responses and those of the old ward merged into it."""
    from tests.factories import make_point

    old_counter = make_point(world.old, "Q01", "Một cửa phường Đông Phong (cũ)")
    answer(world.point, n=3)
    answer(old_counter, n=2)
    answer(world.other_point, n=5)  # another ward: not counted
    db.session.commit()
    page = as_viewer.get("/reports/03408").text
    assert "<h2>Phiếu trả lời: 5</h2>" in page
    assert "Một cửa phường Đông Phong (cũ)" in page
    assert "Phường Đông Phong" in page  # named as part of the history
    assert "Đoàn Kết" not in page


def test_old_units_report_points_to_its_successor(as_viewer, db, world: World) -> None:
    """The retired ward's own report says where its history now counts."""
    page = as_viewer.get("/reports/LC-OLD-03412").text
    assert "đã sáp nhập vào Phường Tân Phong" in page


def test_province_report_counts_every_unit_below(as_analyst, db, world: World) -> None:
    """The province's report (for an analyst) counts the responses of every ward under it."""
    answer(world.point, n=2)
    answer(world.other_point, n=4)
    db.session.commit()
    assert "<h2>Phiếu trả lời: 6</h2>" in as_analyst.get("/reports/12").text


def test_export_has_the_subtree_responses_in_interchange_format(as_analyst, db, world: World) -> None:
    """The CSV export of a unit has one interchange row per response of its subtree."""
    answer(world.point, n=2)
    answer(world.other_point, n=1)
    db.session.commit()
    reply = as_analyst.get("/reports/03408/responses.csv")
    assert reply.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [r["unit_code"] for r in rows] == ["03408", "03408"]
    assert rows[0]["B1.1"] == "4"


def test_units_sharing_a_name_keep_separate_rows_with_their_codes(as_analyst, db, world: World) -> None:
    """An old commune and the new one that took its name are two rows, each showing its own code."""
    from tests.factories import make_point, make_unit

    new = make_unit("03445", "Xã Mường Tè", "commune", parent=world.province)
    old = make_unit("LC-OLD-03445", "Xã Mường Tè", "commune", parent=world.province, successor=new)
    answer(make_point(new, "Q01", "Một cửa"), n=3)
    answer(make_point(old, "Q01", "Một cửa"), n=2)
    db.session.commit()
    page = as_analyst.get("/reports/03445").text
    rows = re.findall(
        r"<tr><td[^>]*>[^<]*</td><td[^>]*>Xã Mường Tè <span class=\"code\">([^<]+)</span>"
        r".*?<td class=\"n\"[^>]*>(\d+)</td>",
        page,
    )
    assert sorted(rows) == [("03445", "3"), ("LC-OLD-03445", "2")]
