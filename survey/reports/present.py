"""The unit page's view of a cached report payload: names in the reader's language, charts,
and the plain-words reading of each figure.

Item and element names come from the instrument (its Vietnamese wording first), never from
the template, so a new instrument version needs no template change. Nothing here estimates
anything: every number comes from the analysis in the payload.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey.extensions import db
from survey.instrument import instrument
from survey.models import Unit
from survey.reports.chart import trend_chart
from survey.reports.improve import improve_first, left_out, voted

__all__ = ["criterion_name", "criterion_trend", "item_name", "report_view", "verdict"]

Row = tuple[str, str, dict[str, Any]]
SERVICE = ("B1", "B2", "B3", "B4", "B5")


def _text(texts: Any, lang: str) -> str:
    """The text in ``lang``, else in the instrument's default language."""
    return texts.get(lang) or texts.get(instrument().default_language) or ""


def item_name(code: str, lang: str) -> str:
    """A criterion's wording; a policy item's long form names its policy area."""
    item = instrument().items[code]
    return _text(item.long_text or item.text, lang)


def criterion_name(code: str, lang: str) -> str:
    """The wording of an item, or the name of an element (B1 … A4), or '' when unknown."""
    ins = instrument()
    if code in ins.items:
        return item_name(code, lang)
    if code in ins.elements:
        return _text(ins.elements[code].name, lang)
    return ""


def verdict(estimate: dict[str, Any] | None, reference: float) -> str:
    """``higher``, ``lower`` or ``unsure``: whether the interval lies wholly above or below the
    reference. An interval that includes it, or that could not be computed, decides nothing."""
    if not estimate or estimate.get("ci_low") is None or estimate.get("ci_high") is None:
        return "unsure"
    if estimate["ci_low"] > reference:
        return "higher"
    if estimate["ci_high"] < reference:
        return "lower"
    return "unsure"


def _elements(group: dict[str, Any], subindex: str, lang: str) -> list[Row]:
    ins = instrument()
    return [
        (code, _text(el.name, lang), group["elements"][code])
        for code, el in ins.elements.items()
        if el.subindex == subindex and code in group["elements"]
    ]


def _items_by_element(group: dict[str, Any], lang: str) -> list[tuple[str, str, list[Row]]]:
    ins = instrument()
    return [
        (
            code,
            _text(el.name, lang),
            [(q, item_name(q, lang), group["items"][q]) for q in el.items if q in group["items"]],
        )
        for code, el in ins.elements.items()
    ]


def _subunits(groups: list[dict[str, Any]]) -> list[Row]:
    """Each unit of the family that has its own group (a parent's report lists its units)."""
    if len(groups) < 3:  # the whole selection and a single unit: nothing to break down
        return []
    codes = [g["key"]["unit_code"] for g in groups[1:]]
    names = dict(db.session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all())
    return [(code, names.get(code, code), g["sipas"]) for code, g in zip(codes, groups[1:], strict=True)]


def _counters(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Per counter: SIPAS, service and its elements, named; only where a unit has several."""
    groups = payload.get("counters") or []
    names = {(r["unit_code"], r["point_code"]): r["name"] for r in payload.get("weeks", {}).get("rows", [])}
    rows = [
        {
            "key": g["key"],
            "name": names.get((g["key"]["unit_code"], g["key"]["point_code"]), g["key"]["point_code"]),
            "group": g,
        }
        for g in groups
    ]
    return rows if len(rows) > 1 else []


def report_view(payload: dict[str, Any], lang: str) -> dict[str, Any]:
    """What templates/reports/_indices.html draws, from survey.reports.payloads.unit_report."""
    indices = payload["indices"]
    group = indices["groups"][0]
    baseline = indices["baseline"]
    return {
        "confidence": indices["confidence"],
        "baseline": baseline,
        "national": indices["national"],
        "group": group,
        "small": "small_sample" in group["flags"],
        "verdicts": {name: verdict(group[name], baseline) for name in ("sipas", "policy", "service")},
        "service_elements": _elements(group, "service", lang),
        "policy_elements": _elements(group, "policy", lang),
        "criteria": _items_by_element(group, lang),
        "improve": improve_first(group, lang),
        "votes": voted(group, lang),
        "left_out": left_out(group, lang),
        "subunits": _subunits(indices["groups"]),
        "counters": _counters(payload),
        "weeks": payload.get("weeks", {"weeks": [], "rows": []}),
        "month": payload["month"],
        "quarter": payload["quarter"],
        "month_chart": trend_chart(payload["month"], baseline),
        "quarter_chart": trend_chart(payload["quarter"], baseline),
        "rank": payload["rank"],
        "as_of": payload.get("as_of"),
        "computed_at": payload.get("computed_at"),
    }


def criterion_trend(payload: dict[str, Any], code: str) -> list[dict[str, Any]]:
    """One criterion's (or element's) value per month, in the shape of the trend chart."""
    out = []
    for month in payload["month"]:
        estimate = month.get("items", {}).get(code) or month.get("elements", {}).get(code)
        if estimate is not None:
            out.append({"label": month["label"], "value": estimate})
    return out
