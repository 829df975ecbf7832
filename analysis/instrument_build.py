"""Building an :class:`~analysis.instrument.Instrument` from its raw TOML, checking every reference.

Every failure is an :class:`~analysis.errors.InstrumentError` naming the item or key.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from analysis.errors import InstrumentError
from analysis.instrument import (
    ELEMENT_METHODS,
    ITEM_KINDS,
    POLICY_ELEMENT_METHODS,
    SUBINDICES,
    Chain,
    Condition,
    Element,
    Instrument,
    Item,
    Option,
    PolicyGroup,
    Scale,
    Section,
)

__all__ = ["Builder"]


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


class Builder:
    """Turns the raw TOML mapping into an Instrument, checking every reference."""

    def __init__(self, raw: dict[str, Any], source: str) -> None:
        self.raw = raw
        self.source = source

    def fail(self, where: str, message: str) -> InstrumentError:
        return InstrumentError(f"{self.source}: {where}: {message}")

    def need(self, table: Mapping[str, Any], key: str, where: str, kind: type = str) -> Any:
        if key not in table:
            raise self.fail(where, f"missing key '{key}'")
        value = table[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise self.fail(where, f"'{key}' must be {kind.__name__}")
        return value

    def texts(self, table: Mapping[str, Any], where: str) -> Mapping[str, str]:
        missing = [lang for lang in self.languages if not isinstance(table.get(lang), str)]
        if missing:
            raise self.fail(where, f"missing wording for language(s) {', '.join(missing)}")
        return _frozen({lang: table[lang] for lang in self.languages})

    def build(self) -> Instrument:
        raw = self.raw
        self.languages = tuple(self.need(raw, "languages", "instrument", list))
        default = raw.get("default_language", self.languages[0] if self.languages else "vi")
        if default not in self.languages:
            raise self.fail("default_language", f"'{default}' is not among languages")
        scales = self.build_scales()
        groups = self.build_groups()
        elements_raw = self.need(raw, "elements", "instrument", list)
        element_codes = [self.need(e, "code", "elements", str) for e in elements_raw]
        items = self.build_items(scales, set(element_codes), groups)
        elements = self.build_elements(elements_raw, items)
        sections = self.build_sections(items)
        chain = self.build_chain(elements)
        outcome = raw.get("outcome")
        if outcome is not None and outcome not in items:
            raise self.fail("outcome", f"unknown item '{outcome}'")
        return Instrument(
            id=self.need(raw, "id", "instrument"),
            version=int(raw.get("version", 1)),
            title=self.texts(self.need(raw, "title", "instrument", dict), "title"),
            purpose=self.texts(raw.get("purpose", {l: "" for l in self.languages}), "purpose"),
            basis=str(raw.get("basis", "")),
            languages=self.languages,
            default_language=default,
            outcome=outcome,
            scales=_frozen(scales),
            sections=sections,
            elements=_frozen(elements),
            policy_groups=_frozen(groups),
            items=_frozen(items),
            chain=chain,
        )

    def build_scales(self) -> dict[str, Scale]:
        scales: dict[str, Scale] = {}
        for sid, table in self.need(self.raw, "scales", "instrument", dict).items():
            where = f"scale '{sid}'"
            options = tuple(
                Option(self.need(o, "code", where, int), self.texts(o, f"{where} option {o.get('code')}"))
                for o in self.need(table, "options", where, list)
            )
            codes = [o.code for o in options]
            if len(set(codes)) != len(codes):
                raise self.fail(where, "duplicate option codes")
            valid = frozenset(table.get("valid", codes))
            satisfied = frozenset(table.get("satisfied", ()))
            dont_know = table.get("dont_know")
            if not valid <= set(codes) or not satisfied <= valid:
                raise self.fail(where, "'valid' must be option codes and 'satisfied' within 'valid'")
            if dont_know is not None and (dont_know not in codes or dont_know in valid):
                raise self.fail(where, "'dont_know' must be an option code outside 'valid'")
            scales[sid] = Scale(sid, str(table.get("kind", "choice")), options, valid, satisfied, dont_know)
        return scales

    def build_groups(self) -> dict[str, PolicyGroup]:
        groups: dict[str, PolicyGroup] = {}
        for g in self.raw.get("policy_groups", []):
            code = self.need(g, "code", "policy_groups")
            if code in groups:
                raise self.fail(f"policy group '{code}'", "duplicate code")
            groups[code] = PolicyGroup(code, self.texts(g, f"policy group '{code}'"))
        return groups

    def build_items(
        self, scales: dict[str, Scale], elements: set[str], groups: dict[str, PolicyGroup]
    ) -> dict[str, Item]:
        items: dict[str, Item] = {}
        for table in self.need(self.raw, "items", "instrument", list):
            self.add(items, self.build_item(self.need(table, "code", "items"), table, scales, elements))
        self.add_policy_items(items, scales, elements, groups)
        # Questionnaire order: by section, then as written in the file (sorted() is stable).
        order = [s.get("id") for s in self.raw.get("sections", [])]
        rank = {sid: n for n, sid in enumerate(order)}
        items = {i.code: i for i in sorted(items.values(), key=lambda i: rank.get(i.section, len(rank)))}
        codes = list(items)
        for item in items.values():
            if item.when is not None:
                target = item.when.item
                if target not in items or codes.index(target) > codes.index(item.code):
                    raise self.fail(
                        f"item '{item.code}'",
                        f"skip condition refers to '{target}', which is not an earlier item",
                    )
        return items

    def add(self, items: dict[str, Item], item: Item) -> None:
        if item.code in items:
            raise self.fail(f"item '{item.code}'", "duplicate item code")
        items[item.code] = item

    def build_item(
        self, code: str, table: Mapping[str, Any], scales: dict[str, Scale], elements: set[str]
    ) -> Item:
        where = f"item '{code}'"
        kind = table.get("kind", "single")
        if kind not in ITEM_KINDS:
            raise self.fail(where, f"kind must be one of {', '.join(ITEM_KINDS)}")
        scale = None
        if kind != "text":
            scale_id = self.need(table, "scale", where)
            if scale_id not in scales:
                raise self.fail(where, f"unknown scale '{scale_id}'")
            scale = scales[scale_id]
        element = table.get("element")
        if element is not None and element not in elements:
            raise self.fail(where, f"unknown element '{element}'")
        index = bool(table.get("index", element is not None))
        if index and (element is None or scale is None or not scale.satisfied):
            raise self.fail(where, "an index item needs an element and a rating scale")
        when = None
        if "when" in table:
            cond = table["when"]
            if not isinstance(cond, dict) or "item" not in cond or not isinstance(cond.get("in"), list):
                raise self.fail(where, "'when' must be {item = CODE, in = [codes]}")
            when = Condition(cond["item"], frozenset(cond["in"]))
        return Item(
            code=code,
            kind=kind,
            section=self.need(table, "section", where),
            text=self.texts(table, where),
            scale=scale,
            element=element,
            when=when,
            index=index,
            max_choices=table.get("max_choices"),
            max_length=table.get("max_length"),
        )

    def add_policy_items(
        self,
        items: dict[str, Item],
        scales: dict[str, Scale],
        elements: set[str],
        groups: dict[str, PolicyGroup],
    ) -> None:
        for table in self.raw.get("policy_items", []):
            element = self.need(table, "element", "policy_items")
            where = f"policy item '{element}'"
            if element not in elements:
                raise self.fail(where, f"unknown element '{element}'")
            scale_id = self.need(table, "scale", where)
            if scale_id not in scales or not scales[scale_id].satisfied:
                raise self.fail(where, f"scale '{scale_id}' is not a known rating scale")
            text = self.texts(table, where)
            long = self.texts(table.get("long", table), where + " long")
            for group in groups.values():
                self.add(
                    items,
                    Item(
                        code=f"{element}.{group.code}",
                        kind="single",
                        section="policy",
                        text=text,
                        scale=scales[scale_id],
                        element=element,
                        group=group.code,
                        index=True,
                        long_text=_frozen(
                            {l: long[l].replace("{group}", group.name[l].lower()) for l in self.languages}
                        ),
                    ),
                )

    def build_elements(self, raw: list[dict[str, Any]], items: dict[str, Item]) -> dict[str, Element]:
        elements: dict[str, Element] = {}
        for table in raw:
            code = table["code"]
            where = f"element '{code}'"
            subindex = self.need(table, "subindex", where)
            if subindex not in SUBINDICES:
                raise self.fail(where, f"subindex must be one of {', '.join(SUBINDICES)}")
            if code in elements:
                raise self.fail(where, "duplicate element code")
            members = tuple(i.code for i in items.values() if i.element == code and i.index)
            if not members:
                raise self.fail(where, "has no items")
            general = table.get("general_item")
            if general is not None and general not in members:
                raise self.fail(where, f"general_item '{general}' is not one of its items")
            elements[code] = Element(code, subindex, self.texts(table, where), members, general)
        return elements

    def build_sections(self, items: dict[str, Item]) -> tuple[Section, ...]:
        sections = []
        for table in self.need(self.raw, "sections", "instrument", list):
            sid = self.need(table, "id", "sections")
            where = f"section '{sid}'"
            intro = table.get("intro")
            sections.append(
                Section(
                    id=sid,
                    title=self.texts(table, where),
                    intro=self.texts(intro, where + " intro") if intro else _frozen({}),
                    items=tuple(i.code for i in items.values() if i.section == sid),
                )
            )
        known = {s.id for s in sections}
        for item in items.values():
            if item.section not in known:
                raise self.fail(f"item '{item.code}'", f"unknown section '{item.section}'")
        return tuple(sections)

    def build_chain(self, elements: dict[str, Element]) -> Chain:
        table = self.raw.get("chain", {})
        method = table.get("element_method", "mean_of_items")
        if method not in ELEMENT_METHODS:
            raise self.fail("chain", f"element_method must be one of {', '.join(ELEMENT_METHODS)}")
        if method == "general_item":
            lacking = [e.code for e in elements.values() if e.subindex == "service" and not e.general_item]
            if lacking:
                raise self.fail(
                    "chain", f"element_method general_item needs general_item for {', '.join(lacking)}"
                )
        weights = dict(table.get("subindex_weights", {"policy": 0.5, "service": 0.5}))
        if (
            set(weights) != set(SUBINDICES)
            or any(w < 0 for w in weights.values())
            or sum(weights.values()) <= 0
        ):
            raise self.fail("chain", "subindex_weights needs non-negative policy and service weights")
        policy_method = table.get("policy_element_method", POLICY_ELEMENT_METHODS[0])
        if policy_method not in POLICY_ELEMENT_METHODS:
            raise self.fail(
                "chain", f"policy_element_method must be one of {', '.join(POLICY_ELEMENT_METHODS)}"
            )
        total = sum(weights.values())
        return Chain(
            element_method=method,
            policy_element_method=policy_method,
            subindex_weights=_frozen({k: v / total for k, v in weights.items()}),
        )
