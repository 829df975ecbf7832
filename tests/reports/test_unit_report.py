"""The unit report page: the numbers of `sipas compute`, marked small samples, comments, periods."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from survey.extensions import db
from tests.admin.conftest import World
from tests.reports.conftest import Answer

ROW_VALUES = re.compile(r'<data value="([^"]+)">')


def row(page: str, row_id: str) -> str:
    """The HTML of the table row, summary box or list entry with this id."""
    match = re.search(rf'<(tr|div|li)[^>]* id="{re.escape(row_id)}">(.*?)</\1>', page, re.S)
    assert match, f"no row {row_id}"
    return match.group(2)


def shown(page: str, row_id: str) -> tuple[list[float], int]:
    """(value, ci_low, ci_high) as written in the row's <data> elements, and its n."""
    html = row(page, row_id)
    count = re.search(r'class="(?:n )?cnt"[^>]*>(\d+)<', html)
    assert count
    return [float(v) for v in ROW_VALUES.findall(html)], int(count.group(1))


def cli_group(runner, unit: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The unit's group in `sipas compute --unit CODE --by unit --period 2026 --format json`."""
    args = ["sipas", "compute", "--unit", unit, "--by", "unit", "--period", "2026", "--format", "json"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    groups = json.loads(result.output)["groups"]
    return next(g for g in groups if g["key"] == {"unit_code": unit})


def test_page_shows_the_numbers_of_sipas_compute(as_viewer, runner, answer: Answer, world: World) -> None:
    """SIPAS, sub-indices, every element and criterion: value, interval and n as the CLI computes them."""
    from tests.factories import make_point

    answer(world.point, 40)
    answer(make_point(world.old, "Q01", "Một cửa cũ"), 12)  # merged ward: counts for 03408
    expected = cli_group(runner, "03408")
    page = as_viewer.get("/reports/03408?period=2026").text
    estimates = {"sipas": expected["sipas"], "policy": expected["policy"], "service": expected["service"]}
    estimates |= expected["elements"] | expected["items"]
    assert len(estimates) > 20
    for code, est in estimates.items():
        values, n = shown(page, f"est-{code}")
        assert n == est["n"], code
        if est["value"] is None:
            assert values == [], code
        else:
            assert values == pytest.approx([est["value"], est["ci_low"], est["ci_high"]], rel=1e-12), code
    diff = [float(v) for v in ROW_VALUES.findall(row(page, "cmp-baseline"))]
    assert diff == pytest.approx([81.51, expected["vs_baseline"]["diff_pp"]], rel=1e-12)


def test_improve_first_lists_the_analysis_ranking_without_policy_area_items(
    as_viewer, runner, answer: Answer, world: World
) -> None:
    """'Improve first' lists the analysis's ranking in order with intervals, never one policy area's
    item (A2.G1 …): only service criteria and elements, which a unit can act on."""
    from survey.instrument import instrument

    answer(world.point, 60)
    group = cli_group(runner, "03408")
    ranked = group.get("improve_first", group["priorities"])
    expected = [
        p
        for p in ranked
        if instrument().items.get(p.get("code", p.get("item")), None) is None
        or instrument().items[p.get("code", p.get("item"))].group is None
    ]
    page = as_viewer.get("/reports/03408?period=2026").text
    listed = re.findall(r'<li id="first-([^"]+)">', page)
    assert listed and listed == [p.get("code", p.get("item")) for p in expected][:5]
    assert not any(instrument().items[c].group for c in listed if c in instrument().items)
    first = row(page, f"first-{listed[0]}")
    values = [float(v) for v in ROW_VALUES.findall(first)][:3]
    assert values == pytest.approx([expected[0]["value"], expected[0]["ci_low"], expected[0]["ci_high"]])
    assert f"/reports/03408/trend/{listed[0]}" in first


def test_small_samples_are_shown_and_marked(as_viewer, answer: Answer, world: World) -> None:
    """On five responses the estimates are still printed, each marked as resting on few responses;
    below 30 responses no interval is claimed (METHOD §6 minimums)."""
    answer(world.point, 5)
    page = as_viewer.get("/reports/03408").text
    values, n = shown(page, "est-sipas")
    assert n == 5 and len(values) == 1
    assert "ít phiếu" in row(page, "est-sipas")
    assert 'class="msg warn"' in page


def test_comments_are_escaped_and_newest_first(as_viewer, answer: Answer, world: World) -> None:
    """A comment is shown as text, never as markup; the newest comes first."""
    answer(world.point, 1, comment="Ghế ngồi chờ đã cũ.")
    answer(world.point, 1, comment="<script>alert('x')</script> cần thêm quạt")
    page = as_viewer.get("/reports/03408").text
    assert "<script>alert" not in page
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; cần thêm quạt"
    assert escaped in page
    assert page.index(escaped) < page.index("Ghế ngồi chờ đã cũ.")


def test_trend_chart_is_accessible_svg_with_a_table(as_viewer, answer: Answer, world: World) -> None:
    """The monthly trend is inline SVG with a title and description, and the numbers in a table."""
    answer(world.point, 40)
    page = as_viewer.get("/reports/03408").text
    svg = re.search(r'<svg [^>]*aria-labelledby="chart-month-t chart-month-d".*?</svg>', page, re.S)
    assert (
        svg and '<title id="chart-month-t">' in svg.group(0) and '<desc id="chart-month-d">' in svg.group(0)
    )
    assert "<script" not in page and "http" not in svg.group(0).replace("http://www.w3.org/2000/svg", "")


def test_rank_among_peers_is_a_range_of_the_same_kind_and_parent(
    as_viewer, answer: Answer, world: World
) -> None:
    """With one peer ward the rank is out of two; another ward's figures do not appear."""
    answer(world.point, 40)
    answer(world.other_point, 40)
    page = as_viewer.get("/reports/03408").text
    rank = re.search(r'<p id="rank">(.*?)</p>', page, re.S)
    assert rank and re.search(r"\b2 đơn vị", rank.group(1))
    assert "Đoàn Kết" not in page


def test_period_choice_and_unknown_period(as_viewer, answer: Answer, world: World) -> None:
    """?period=all is offered and selected on request; an unknown period code is 404."""
    answer(world.point, 3)
    page = as_viewer.get("/reports/03408?period=all").text
    assert '<option value="all" selected>' in page
    assert as_viewer.get("/reports/03408?period=1999").status_code == 404


def test_data_quality_exclusions_and_sample_advice(as_viewer, runner, answer: Answer, world: World) -> None:
    """A speeder is left out and counted; the page says how many more responses give ±5 points."""
    answer(world.point, 33)
    answer(world.point, 1, duration_s=5)  # under 20 s for every item: a speeder
    expected = cli_group(runner, "03408")
    assert expected["quality"]["excluded"] == 1 and expected["needed_for_5pp"] is not None
    page = as_viewer.get("/reports/03408").text
    assert "Số phiếu được tính: 33 trên 34 (1 phiếu bị loại" in page
    needed = re.search(r'<li id="needed">(.*?)</li>', page, re.S)
    more = expected["needed_for_5pp"]
    advice = (
        f"Cần thêm {more} phiếu để khoảng tin cậy đạt ±5 điểm."
        if more
        else "Khoảng tin cậy đã trong phạm vi ±5 điểm."
    )
    assert needed and needed.group(1) == advice


def test_small_unit_ranks_with_the_province_importances(runner, answer: Answer, world: World) -> None:
    """A unit under 100 responses lists the same 'improve first' in its own report as province-wide."""
    from survey.models import Period
    from survey.reports.payloads import unit_report

    answer(world.point, 30)
    answer(world.other_point, 90)
    args = ["sipas", "compute", "--by", "unit", "--period", "2026", "--format", "json"]
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    province = next(g for g in json.loads(done.output)["groups"] if g["key"] == {"unit_code": "03408"})
    period = db.session.scalar(select(Period).where(Period.code == "2026"))
    report = unit_report(world.ward, period)["indices"]
    own = next(g for g in report["groups"] if g["key"] == {"unit_code": "03408"})

    def ranked(group: dict) -> list[str]:  # type: ignore[type-arg]
        return [p["code"] for p in group["improve_first"]]

    def numbers(group: dict) -> list[float]:  # type: ignore[type-arg]
        return [p[k] for p in group["improve_first"] for k in ("importance", "score", "value")]

    assert len(own["improve_first"]) >= 1 and ranked(own) == ranked(province)
    assert numbers(own) == pytest.approx(numbers(province), rel=1e-12)
    assert {p["importance_from"] for p in own["improve_first"]} == {"reference"}


def test_criterion_trend_equals_sipas_compute_by_month(
    as_viewer, runner, answer: Answer, world: World
) -> None:
    """The page behind an improve-first link shows the criterion per month as `sipas compute
    --unit --by month` computes it; an unknown criterion is 404."""
    answer(world.point, 45)
    args = ["sipas", "compute", "--unit", "03408", "--by", "month", "--period", "2026", "--format", "json"]
    groups = json.loads(runner.invoke(args=args).output)["groups"][1:]
    page = as_viewer.get("/reports/03408/trend/B1.2?period=2026").text
    shown = [float(v) for v in ROW_VALUES.findall(page.split("<tbody>", 1)[1])]
    expected = [
        x
        for g in groups
        for x in (g["items"]["B1.2"]["value"], g["items"]["B1.2"]["ci_low"], g["items"]["B1.2"]["ci_high"])
    ]
    assert len(groups) >= 1 and shown == pytest.approx(expected, rel=1e-12)
    assert as_viewer.get("/reports/03408/trend/Z9").status_code == 404


@pytest.mark.parametrize(
    ("estimate", "words"),
    [
        ({"ci_low": 82.0, "ci_high": 90.0}, "higher"),
        ({"ci_low": 70.0, "ci_high": 81.0}, "lower"),
        ({"ci_low": 80.0, "ci_high": 83.0}, "unsure"),
        ({"ci_low": None, "ci_high": None}, "unsure"),
    ],
)
def test_verdict_needs_the_whole_interval_on_one_side(estimate: dict, words: str) -> None:  # type: ignore[type-arg]
    """'Higher' or 'lower' than 81.51 only when the whole interval is on that side."""
    from survey.reports.present import verdict

    assert verdict(estimate, 81.51) == words


def test_e1_shares_equal_a_hand_count(as_viewer, answer: Answer, world: World) -> None:
    """Citizens' own "improve first" (E1): the share choosing each area among those who answered
    the question equals a hand count of the stored answers."""
    answer(world.point, 24, e1=(1, 4))
    answer(world.point, 12, e1=(2,))
    answer(world.point, 6, e1=(4, 5))
    answer(world.point, 8)  # did not answer E1: not in the denominator
    page = as_viewer.get("/reports/03408").text
    answered = 24 + 12 + 6
    hand = {"1": 24, "2": 12, "4": 24 + 6, "5": 6}
    for option, count in hand.items():
        shown = [float(v) for v in ROW_VALUES.findall(row(page, f"e1-{option}"))]
        assert shown[0] == pytest.approx(100.0 * count / answered, rel=1e-12), option
        assert shown[1] <= shown[0] <= shown[2]
    order = re.findall(r'<tr id="e1-(\d)">', page)
    assert order[:2] == ["4", "1"]  # most chosen first


def test_improve_first_lists_only_precise_enough_criteria(
    as_viewer, runner, answer: Answer, world: World
) -> None:
    """Every listed criterion meets the minimum effective sample size; those left out for want of
    precision are named apart, never ranked above one that meets it."""
    from sqlalchemy import delete

    from analysis.improve import MIN_N_EFF
    from survey.models import Answer as AnswerRow
    from survey.models import Response

    answer(world.point, 40)
    # B4.1 answered by ten people only: too few for a usable interval.
    keep = select(Response.id).order_by(Response.id).limit(10).scalar_subquery()
    db.session.execute(
        delete(AnswerRow).where(AnswerRow.item_code == "B4.1", AnswerRow.response_id.not_in(keep))
    )
    db.session.commit()
    group = cli_group(runner, "03408")
    page = as_viewer.get("/reports/03408?period=2026").text
    listed = re.findall(r'<li id="first-([^"]+)">', page)
    by_code = {e["code"]: e for e in group["improve_first"]}
    assert listed == [e["code"] for e in group["improve_first"]][:5]
    assert all(by_code[c]["n_eff"] >= MIN_N_EFF for c in listed)
    imprecise = [e["code"] for e in group["improve_first_left"] if e["reason"] == "low_precision"]
    assert "B4.1" in imprecise and not set(imprecise) & set(listed)
    note = page.split('id="first-left"', 1)[1].split("</p>", 1)[0]
    assert all(code in note for code in imprecise)
