"""The wording a citizen reads in one language: the instrument's, overlaid by stored translations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analysis.instrument import Instrument, Item, Option, Scale
from survey.instrument import field_name
from survey.languages.codes import instrument_texts

__all__ = ["Texts", "item_code", "option_code"]

_BASE: dict[tuple[int, str], tuple[Instrument, dict[str, str]]] = {}


def _base(ins: Instrument, lang: str) -> dict[str, str]:
    """The instrument's own wording (cached per instrument object and language)."""
    cached = _BASE.get((id(ins), lang))
    if cached is None or cached[0] is not ins:
        cached = _BASE[id(ins), lang] = (ins, instrument_texts(ins, lang))
    return cached[1]


@dataclass(frozen=True)
class Texts:
    """Code -> text for one language, with the recordings available for it (code -> URL)."""

    ins: Instrument
    lang: str
    overlay: Mapping[str, str] = field(default_factory=dict)
    audio: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, code: str) -> str:
        """The text of a code: translation, else the instrument's wording, else Vietnamese."""
        if code in self.overlay:
            return self.overlay[code]
        own = self.lang in self.ins.languages
        base = _base(self.ins, self.lang if own else self.ins.default_language)
        return base.get(code, "")

    def item(self, item: Item) -> str:
        return self(item_code(item))

    def option(self, scale: Scale, option: Option) -> str:
        return self(option_code(scale, option))


def item_code(item: Item) -> str:
    """The text code of a question (policy questions: one per element)."""
    return f"item.{field_name(item)}"


def option_code(scale: Scale, option: Option) -> str:
    """The text code of an answer option."""
    return f"option.{scale.id}.{option.code}"
