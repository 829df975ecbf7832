"""Load and validate a survey instrument (TOML data file).

The instrument is the single source of the questionnaire: the web app renders the form from
it and the analysis computes the indices from it. A malformed file fails loudly with an
:class:`InstrumentError` that names the offending item or key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.errors import InstrumentError

__all__ = [
    "Chain",
    "Condition",
    "Element",
    "Instrument",
    "Item",
    "Option",
    "PolicyGroup",
    "Scale",
    "Section",
    "instrument_path",
    "load_instrument",
]

INSTRUMENT_DIR = Path(__file__).with_name("instruments")
ITEM_KINDS = ("single", "multi", "text")
SUBINDICES = ("policy", "service")
ELEMENT_METHODS = ("mean_of_items", "general_item")
# Only the mean over the groups with data is implemented (METHOD §2 step 3).
POLICY_ELEMENT_METHODS = ("mean_over_groups",)


@dataclass(frozen=True)
class Option:
    """One answer code of a scale with its label per language."""

    code: int
    label: Mapping[str, str]


@dataclass(frozen=True)
class Scale:
    """A set of answer codes; rating scales also say which codes are valid and satisfied."""

    id: str
    kind: str
    options: tuple[Option, ...]
    valid: frozenset[int]
    satisfied: frozenset[int]
    dont_know: int | None

    @property
    def codes(self) -> frozenset[int]:
        """Every code an answer may hold, "don't know" included."""
        return frozenset(o.code for o in self.options)


@dataclass(frozen=True)
class Condition:
    """Skip rule: the item applies only when `item` was answered with one of `values`."""

    item: str
    values: frozenset[int]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        """Whether the condition is met by a mapping of item code to answer code."""
        return answers.get(self.item) in self.values


@dataclass(frozen=True)
class Item:
    """One question. `element`/`group` are set for index items; `when` is its skip rule."""

    code: str
    kind: str
    section: str
    text: Mapping[str, str]
    scale: Scale | None = None
    element: str | None = None
    group: str | None = None
    when: Condition | None = None
    index: bool = False
    max_choices: int | None = None
    max_length: int | None = None
    long_text: Mapping[str, str] = field(default_factory=dict)

    def applies(self, answers: Mapping[str, Any]) -> bool:
        """Whether the item is asked, given the screener answers."""
        return self.when is None or self.when.holds(answers)


@dataclass(frozen=True)
class Element:
    """An element of a sub-index (B1..B5 service, A1..A4 policy)."""

    code: str
    subindex: str
    name: Mapping[str, str]
    items: tuple[str, ...]
    general_item: str | None = None


@dataclass(frozen=True)
class PolicyGroup:
    """A policy area (G1..G9) a respondent may be asked about."""

    code: str
    name: Mapping[str, str]


@dataclass(frozen=True)
class Section:
    """A group of questions shown together, in order."""

    id: str
    title: Mapping[str, str]
    intro: Mapping[str, str]
    items: tuple[str, ...]


@dataclass(frozen=True)
class Chain:
    """How item rates aggregate into elements, sub-indices and SIPAS."""

    element_method: str
    policy_element_method: str
    subindex_weights: Mapping[str, float]


@dataclass(frozen=True)
class Instrument:
    """A validated questionnaire with its aggregation chain."""

    id: str
    version: int
    title: Mapping[str, str]
    purpose: Mapping[str, str]
    basis: str
    languages: tuple[str, ...]
    default_language: str
    outcome: str | None
    scales: Mapping[str, Scale]
    sections: tuple[Section, ...]
    elements: Mapping[str, Element]
    policy_groups: Mapping[str, PolicyGroup]
    items: Mapping[str, Item]
    chain: Chain

    @property
    def index_items(self) -> tuple[Item, ...]:
        """Items that enter the indices, in questionnaire order."""
        return tuple(i for i in self.items.values() if i.index)

    @property
    def question_codes(self) -> tuple[str, ...]:
        """Every item code in order: the question columns of the interchange format."""
        return tuple(self.items)

    def element_items(self, element: str) -> tuple[Item, ...]:
        """Index items of one element (for policy elements: every group's item)."""
        return tuple(self.items[c] for c in self.elements[element].items)

    def subindex_elements(self, subindex: str) -> tuple[Element, ...]:
        """Elements of one sub-index, in order."""
        return tuple(e for e in self.elements.values() if e.subindex == subindex)

    def policy_items(self, group: str) -> tuple[Item, ...]:
        """The policy items asked of a respondent assigned to `group`."""
        return tuple(i for i in self.items.values() if i.group == group)


def instrument_path(ref: str | Path) -> Path:
    """Resolve an instrument id (``sipas-2025``) or a path to its TOML file."""
    path = Path(ref)
    if path.suffix == ".toml" or path.exists():
        return path
    return INSTRUMENT_DIR / f"{ref}.toml"


def load_instrument(ref: str | Path = "sipas-2025") -> Instrument:
    """Read and validate an instrument by id or path.

    Raises
    ------
    InstrumentError
        If the file is missing or malformed; the message names the item or key.
    """
    path = instrument_path(ref)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InstrumentError(f"instrument file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentError(f"{path.name}: invalid TOML: {exc}") from None
    from analysis.instrument_build import Builder  # here: the builder imports this module

    return Builder(raw, path.name).build()
