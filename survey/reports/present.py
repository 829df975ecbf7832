"""The unit page's view of a cached report payload: names in the reader's language, charts.

Item and element names come from the instrument (its Vietnamese wording first), never from
the template, so a new instrument version needs no template change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey.extensions import db
from survey.instrument import instrument
from survey.models import Unit
from survey.reports.chart import trend_chart

__all__ = ["item_name", "report_view"]

Row = tuple[str, str, dict[str, Any]]


def _text(texts: Any, lang: str) -> str:
    """The text in ``lang``, else in the instrument's default language."""
    return texts.get(lang) or texts.get(instrument().default_language) or ""


def item_name(code: str, lang: str) -> str:
    """A criterion's wording; a policy item's long form names its policy area."""
    item = instrument().items[code]
    return _text(item.long_text or item.text, lang)


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


def report_view(payload: dict[str, Any], lang: str) -> dict[str, Any]:
    """What templates/reports/_indices.html draws, from :func:`survey.reports.indices.unit_report`."""
    indices = payload["indices"]
    group = indices["groups"][0]
    priorities = [(p["item"], item_name(p["item"], lang), p) for p in group["priorities"]]
    return {
        "confidence": indices["confidence"],
        "baseline": indices["baseline"],
        "national": indices["national"],
        "group": group,
        "small": "small_sample" in group["flags"],
        "service_elements": _elements(group, "service", lang),
        "policy_elements": _elements(group, "policy", lang),
        "criteria": _items_by_element(group, lang),
        "priorities": priorities,
        "subunits": _subunits(indices["groups"]),
        "month": payload["month"],
        "quarter": payload["quarter"],
        "month_chart": trend_chart(payload["month"], indices["baseline"]),
        "quarter_chart": trend_chart(payload["quarter"], indices["baseline"]),
        "rank": payload["rank"],
    }
