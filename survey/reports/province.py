"""The province overview for Sở Nội vụ (admin, analyst): every current unit ranked with its
interval, a units × elements heat map, silent counters and the province trend.

The figures are `sipas compute --by unit` of the period (survey/reports/payloads.py keeps
them in report_cache); viewers get 403 — the page shows other units' figures.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from survey.auth.access import require_role
from survey.i18n import current_language
from survey.instrument import instrument
from survey.models import UNIT_KINDS
from survey.reports import bp
from survey.reports.chart import trend_chart
from survey.reports.page import chosen_period, periods_context
from survey.reports.payloads import province_report, silent_points
from survey.reports.present import verdict

__all__ = ["heat_colour", "overview", "province_view"]

SORTS = ("rank", "name", "n", "kind")
HEAT = ("B1", "B2", "B3", "B4", "B5", "A1", "A2", "A3", "A4")


def _unit_rows(payload: dict[str, Any], kind: str | None, sort: str) -> list[dict[str, Any]]:
    """One row per current unit with a group in the result, filtered by kind, sorted."""
    units = payload["units"]
    baseline = payload["indices"]["baseline"]
    rows = []
    for g in payload["indices"]["groups"][1:]:
        code = g["key"]["unit_code"]
        if code not in units or (kind and units[code]["kind"] != kind):
            continue
        rows.append(
            {
                "code": code,
                **units[code],
                "group": g,
                "rank": g.get("rank") or {},
                "verdict": verdict(g["sipas"], baseline),
            }
        )
    keys = {
        "rank": lambda r: (r["rank"].get("rank") is None, r["rank"].get("rank") or 0, r["name"]),
        "name": lambda r: r["name"],
        "n": lambda r: (-r["group"]["n"], r["name"]),
        "kind": lambda r: (r["kind"], r["rank"].get("rank") or 10**9),
    }
    return sorted(rows, key=keys[sort])


def _name(texts: Any, lang: str) -> str:
    return texts.get(lang) or texts.get(instrument().default_language) or ""


def province_view(payload: dict[str, Any], kind: str | None = None, sort: str = "rank") -> dict[str, Any]:
    """What templates/reports/province.html draws."""
    indices = payload["indices"]
    group = indices["groups"][0]
    ins = instrument()
    lang = current_language()
    return {
        "group": group,
        "confidence": indices["confidence"],
        "baseline": indices["baseline"],
        "national": indices["national"],
        "verdicts": {
            name: (verdict(group[name], indices["baseline"]), verdict(group[name], indices["national"]))
            for name in ("sipas", "policy", "service")
        },
        "units": _unit_rows(payload, kind, sort),
        "heat": [(code, _name(ins.elements[code].name, lang)) for code in HEAT if code in ins.elements],
        "month": payload["month"],
        "month_chart": trend_chart(payload["month"], indices["baseline"]),
        "as_of": payload.get("as_of"),
        "computed_at": payload.get("computed_at"),
    }


def heat_colour(value: float) -> str:
    """A light background from red (50 % or less) to green (100 %): dark text stays readable
    on every shade (contrast above 7:1), and the number is always printed in the cell."""
    t = min(1.0, max(0.0, (value - 50.0) / 50.0))
    low, high = (250, 200, 195), (205, 238, 212)
    r, g, b = (round(a + (c - a) * t) for a, c in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


@bp.get("/province")
def overview() -> str:
    """The province overview of the chosen period (default: the open one, as everywhere)."""
    require_role("admin", "analyst")
    period, code = chosen_period()
    kind = request.args.get("kind") or None
    if kind not in (None, *UNIT_KINDS):
        kind = None
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "rank"
    return render_template(
        "reports/province.html",
        view=province_view(province_report(period), kind, sort),
        silent=silent_points(),
        kinds=UNIT_KINDS,
        kind=kind,
        sort=sort,
        heat_colour=heat_colour,
        **periods_context(period, code),
    )
