"""Stable codes of every text a citizen reads, with the instrument's wording in one language.

These codes are the first column of a translation sheet and the keys of stored translations
and recordings. Policy questions are one text per element (``item.A1``): a respondent answers
them about one policy area, named in the area's own text (``group.G3``).
"""

from __future__ import annotations

from collections.abc import Iterator

from analysis.instrument import Instrument
from survey.instrument import field_name, policy_template

__all__ = ["LANGUAGE_NAME", "instrument_texts"]

LANGUAGE_NAME = "language.name"


def _pairs(ins: Instrument, lang: str) -> Iterator[tuple[str, str]]:
    yield "title", ins.title[lang]
    yield "purpose", ins.purpose[lang]
    for section in ins.sections:
        yield f"section.{section.id}", section.title[lang]
        if section.intro:
            yield f"section.{section.id}.intro", section.intro[lang]
    for element in ins.elements.values():
        yield f"element.{element.code}", element.name[lang]
    for group in ins.policy_groups.values():
        yield f"group.{group.code}", group.name[lang]
    template = {i.code for i in policy_template(ins)}
    for item in ins.items.values():
        if not item.group or item.code in template:
            yield f"item.{field_name(item)}", item.text[lang]
    for scale in ins.scales.values():
        for option in scale.options:
            yield f"option.{scale.id}.{option.code}", option.label[lang]


def instrument_texts(ins: Instrument, lang: str) -> dict[str, str]:
    """Code -> wording of every instrument text a citizen may read, in questionnaire order."""
    return dict(_pairs(ins, lang))
