"""Improvement actions: recorded (validated, audited, scoped, CSRF), measured before and after
their start exactly as the analysis measures the two date ranges, and exported for the province."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from analysis import compare_domains, compute_indices, counter_design, period_mask
from survey.extensions import db
from survey.instrument import instrument
from survey.models import AuditLog, ImprovementAction
from survey.periods import local_today
from tests.admin.conftest import World, post
from tests.reports.conftest import Answer
from tests.reports.test_unit_report import ROW_VALUES, row

FORM = {
    "criterion": "B1.2",
    "description": "Thêm 20 ghế chờ",
    "responsible": "Văn phòng UBND",
    "starts_on": "",
}


def _start() -> str:
    return (local_today() - timedelta(days=9)).isoformat()


def test_viewer_records_an_action_and_it_is_audited(as_viewer, world: World) -> None:
    """A valid form stores the action for the viewer's unit, audits it and returns to the report."""
    reply = post(as_viewer, "/reports/03408/actions/new", FORM | {"starts_on": _start()})
    assert reply.status_code == 303 and reply.location.endswith("/reports/03408#h-actions")
    [action] = db.session.scalars(select(ImprovementAction)).all()
    assert (action.unit_id, action.criterion, action.responsible) == (world.ward.id, "B1.2", "Văn phòng UBND")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "action.create"))
    assert entry is not None and entry.actor == world.viewer.email and "Thêm 20 ghế chờ" in entry.after


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"criterion": "A2.G1"}, "Tiêu chí: hãy chọn một tiêu chí trong danh sách."),
        ({"description": " "}, "Việc sẽ làm: bắt buộc."),
        ({"responsible": ""}, "Người phụ trách: bắt buộc."),
        ({"starts_on": "31/12/2026"}, "Ngày bắt đầu: &#39;31/12/2026&#39; không phải ngày"),
    ],
)
def test_invalid_form_names_the_field_in_vietnamese(
    as_viewer, world: World, change: dict, message: str
) -> None:  # type: ignore[type-arg]
    """A bad field answers 422 with a Vietnamese message naming it; nothing is stored; input is kept."""
    reply = post(as_viewer, "/reports/03408/actions/new", FORM | {"starts_on": _start()} | change)
    assert reply.status_code == 422 and message in reply.text
    assert db.session.scalar(select(ImprovementAction.id)) is None


def test_actions_are_scoped_and_need_csrf(as_viewer, as_analyst, client, world: World) -> None:
    """Another unit is 404 to a viewer; an analyst (read-only) gets 403; no CSRF token, no action."""
    assert post(as_viewer, "/reports/03388/actions/new", FORM | {"starts_on": _start()}).status_code == 404
    assert as_viewer.get("/reports/03388/actions/new").status_code == 404
    assert post(as_analyst, "/reports/03408/actions/new", FORM | {"starts_on": _start()}).status_code == 403
    reply = as_viewer.post("/reports/03408/actions/new", data=FORM | {"starts_on": _start()})
    assert reply.status_code == 400 and db.session.scalar(select(ImprovementAction.id)) is None


def _analysis_on(frame, first, last, code):  # type: ignore[no-untyped-def]
    """The criterion computed by the analysis on the responses of one date range alone."""
    day = frame["submitted_at"].dt.date
    part = frame[(day >= first) & (day <= last)]
    return compute_indices(part, instrument(), weight="weight", **counter_design()).group().items[code]


def test_before_and_after_equal_the_analysis_of_the_ranges(as_viewer, answer: Answer, world: World) -> None:
    """The report shows the criterion before and after the start as the analysis computes each
    date range (value and n), and the change with the interval and p of the analysis's
    comparison of the two ranges as domains of one design."""
    from survey.actions.records import windows
    from survey.reports.indices import load

    answer(world.point, 60)  # one response a weekday over the last four weeks
    starts_on = local_today() - timedelta(days=9)
    post(as_viewer, "/reports/03408/actions/new", FORM | {"starts_on": starts_on.isoformat()})
    page = as_viewer.get("/reports/03408").text
    [action_id] = db.session.scalars(select(ImprovementAction.id)).all()
    html = row(page, f"action-{action_id}")
    before_range, after_range = windows(starts_on, local_today())
    frame = load(None, {world.ward.id, world.old.id})
    before = _analysis_on(frame, *before_range, "B1.2")
    after = _analysis_on(frame, *after_range, "B1.2")
    assert before.n > 10 and after.n > 10
    change = compare_domains(
        frame,
        instrument(),
        period_mask(frame, *after_range),
        period_mask(frame, *before_range),
        estimates=["B1.2"],
        weight="weight",
        **counter_design(),
    )["B1.2"]
    values = [float(v) for v in ROW_VALUES.findall(html)]
    assert values[0] == pytest.approx(before.value, rel=1e-12)
    assert values[3] == pytest.approx(after.value, rel=1e-12)
    assert values[6] == pytest.approx(after.value - before.value, rel=1e-12)
    assert values[6] == pytest.approx(change.diff, rel=1e-12)
    if change.ci_low is not None:
        assert values[7:9] == pytest.approx([change.ci_low, change.ci_high], rel=1e-12)
    assert f"n {before.n}" in html and f"n {after.n}" in html


def test_province_table_and_plan_progress_exports(as_viewer, as_admin, answer: Answer, world: World) -> None:
    """Sở Nội vụ sees every action in one table and exports the plan progress as XLSX and PDF."""
    from pypdf import PdfReader

    answer(world.point, 30)
    post(as_viewer, "/reports/03408/actions/new", FORM | {"starts_on": _start()})
    page = as_admin.get("/reports/actions").text
    assert "Thêm 20 ghế chờ" in page and "Phường Tân Phong" in page
    book = load_workbook(io.BytesIO(as_admin.get("/reports/actions.xlsx").data))
    assert book.sheetnames == ["Đọc trước", "Biện pháp"]
    rows = list(book["Biện pháp"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Đơn vị", "Mã đơn vị", "Biện pháp") and rows[1][:3] == (
        "Phường Tân Phong",
        "03408",
        "Thêm 20 ghế chờ",
    )
    before, after, change = rows[1][7], rows[1][9], rows[1][11]
    assert isinstance(before, int | float) and change == pytest.approx(round(after - before, 2), abs=0.011)
    pdf = as_admin.get("/reports/actions.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "SỞ NỘI VỤ" in text.upper() and "Thêm 20 ghế chờ" in text


def test_removing_an_action_is_audited(as_viewer, world: World) -> None:
    """An action recorded by mistake can be removed by the unit; the audit log keeps it."""
    post(as_viewer, "/reports/03408/actions/new", FORM | {"starts_on": _start()})
    [action_id] = db.session.scalars(select(ImprovementAction.id)).all()
    reply = post(as_viewer, f"/reports/03408/actions/{action_id}/delete")
    assert reply.status_code == 303 and db.session.scalar(select(ImprovementAction.id)) is None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "action.delete")) is not None
    assert re.search("Chưa ghi nhận biện pháp nào", as_viewer.get("/reports/03408").text)


def test_cells_by_day_give_the_comparison_of_the_rows(answer: Answer, world: World) -> None:
    """The effect of an action is computed from the stored cells by counter and day: the same
    values, SEs, df, intervals and p as the comparison of the rows, for indices and criteria."""
    from survey.reports.indices import compare_ranges, day_cells, load

    answer(world.point, 60)
    answer(world.other_point, 40, e1=(1, 4))
    family = {world.ward.id, world.old.id}
    today = local_today()
    before = (today - timedelta(days=30), today - timedelta(days=12))
    after = (today - timedelta(days=11), today)
    codes = ["sipas", "service", "B1", "B1.2", "B0"]
    rows = compare_ranges(load(None, family), before, after, codes)
    cells = compare_ranges(day_cells(family), before, after, codes)
    assert (cells.n_a, cells.n_b) == (rows.n_a, rows.n_b) and rows.n_a > 10 and rows.n_b > 10
    assert cells.df == rows.df
    for code in codes:
        r, c = rows[code], cells[code]
        assert r.se is not None and r.se > 0
        for name in ("diff", "se", "ci_low", "ci_high", "p_value"):
            want, got = getattr(r, name), getattr(c, name)
            assert (want is None) == (got is None), (code, name)
            if want is not None:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (code, name)
        for side in ("a", "b"):
            assert getattr(c, side).value == pytest.approx(getattr(r, side).value, rel=1e-9)
            assert getattr(c, side).n == getattr(r, side).n
        assert c.flags == r.flags
