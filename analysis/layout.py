"""Where each sufficient statistic of a cell lives: the variable layout derived from the instrument.

Every estimate is a ratio of weighted totals of 0/1 *rate variables* ``v``: for each index item
``y_q`` (satisfied) and ``x_q`` (valid answer), the outcome ``B0`` the same way, and for each
multi-choice item (E1) one ``y_o`` per option (chosen) and one ``x`` (the item was answered).
A cell keeps ``Σw·v``, ``Σw²·v`` and the cross-products ``Σw²·v_i·v_j`` that are not fixed by
those: as ``y ≤ x`` and both are 0/1, ``y·y = y·x = y`` and ``x·x = x`` within one item, so only
pairs of different items are stored, and only those that can be non-zero — a respondent answers
one policy group, so the items of two different groups never meet (``A1.G1 × A1.G2 = 0``), and
no estimate combines the outcome or the E1 options with the index, so those products are not
kept at all. That leaves the service × service, service × group and within-group pairs.

The layout has a fingerprint: cells serialised under one layout are refused under another.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from analysis.instrument import Instrument

__all__ = ["AlphaBlock", "Layout", "MultiItem", "layout_of"]

#: Bumped whenever the meaning or order of the stored statistics changes.
LAYOUT_VERSION = 1


@dataclass(frozen=True)
class MultiItem:
    """A multi-choice item whose options are rate variables: ``y`` positions and the ``x`` position."""

    code: str
    options: tuple[int, ...]
    y: tuple[int, ...]
    x: int


@dataclass(frozen=True)
class AlphaBlock:
    """Columns of one Cronbach's alpha: each a tuple of item positions (one valid answer among them)."""

    name: str
    columns: tuple[tuple[int, ...], ...]

    @property
    def size(self) -> int:
        """Numbers kept per cell: complete cases, Σx_j and the upper triangle of Σx_j·x_m."""
        k = len(self.columns)
        return 1 + k + k * (k + 1) // 2


@dataclass(frozen=True)
class Layout:
    """Positions of every statistic for one instrument.

    ``items`` are the index items (Q) in questionnaire order, ``group[q]`` their policy group
    (-1 for service items). Rate variables: ``y_q = q``, ``x_q = Q + q``; then the outcome
    (``outcome_y``, ``outcome_y + 1``), then each multi item's options and its ``x``.
    ``pairs`` (P × 2) are the stored cross-products, as variable positions ``i < j``.
    """

    instrument: str
    items: tuple[str, ...]
    group: np.ndarray
    groups: tuple[str, ...]
    outcome: str | None
    outcome_y: int | None
    multi: tuple[MultiItem, ...]
    n_vars: int
    pairs: np.ndarray
    table_codes: tuple[tuple[int, ...], ...]
    outcome_codes: tuple[int, ...]
    alpha: tuple[AlphaBlock, ...]
    count_names: tuple[str, ...]
    count_members: np.ndarray
    fingerprint: bytes

    @property
    def n_items(self) -> int:
        """Number of index items (Q)."""
        return len(self.items)

    @property
    def n_pairs(self) -> int:
        """Number of stored cross-products (P)."""
        return len(self.pairs)

    @property
    def table_size(self) -> int:
        """Numbers of the item × outcome contingency tables of one cell."""
        return sum(len(c) for c in self.table_codes) * len(self.outcome_codes)

    @property
    def alpha_size(self) -> int:
        """Numbers of the complete-case sums of every alpha block of one cell."""
        return sum(b.size for b in self.alpha)

    def rates(self) -> dict[str, tuple[int, int]]:
        """Every ratio variable by name: index items, the outcome, ``E1:3``-style options."""
        q = self.n_items
        out = {code: (k, q + k) for k, code in enumerate(self.items)}
        if self.outcome is not None and self.outcome_y is not None:
            out[self.outcome] = (self.outcome_y, self.outcome_y + 1)
        for m in self.multi:
            out.update({f"{m.code}:{o}": (y, m.x) for o, y in zip(m.options, m.y, strict=True)})
        return out


def _pairs(group: np.ndarray, multi: tuple[MultiItem, ...]) -> np.ndarray:
    """Stored products: per structurally non-zero item pair (q < r) its four y/x products, then
    per multi item the option pairs."""
    q = len(group)
    rows = []
    for a in range(q):
        for b in range(a + 1, q):
            if group[a] < 0 or group[b] < 0 or group[a] == group[b]:
                rows += [(a, b), (a, q + b), (q + a, b), (q + a, q + b)]
    for m in multi:
        rows += [(m.y[i], m.y[j]) for i in range(len(m.y)) for j in range(i + 1, len(m.y))]
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def _alpha_blocks(instrument: Instrument, position: dict[str, int]) -> tuple[AlphaBlock, ...]:
    """Service elements with ≥ 2 items; the policy elements pooled over groups as one block."""
    blocks = []
    for element in instrument.subindex_elements("service"):
        cols = tuple((position[i.code],) for i in instrument.element_items(element.code))
        if len(cols) >= 2:
            blocks.append(AlphaBlock(element.code, cols))
    policy = instrument.subindex_elements("policy")
    if len(policy) >= 2:
        cols = tuple(tuple(position[i.code] for i in instrument.element_items(e.code)) for e in policy)
        blocks.append(AlphaBlock("policy", cols))
    return tuple(blocks)


def _count_members(instrument: Instrument, position: dict[str, int]) -> tuple[tuple[str, ...], np.ndarray]:
    """Which items feed each composite estimate (elements, service, policy, sipas): its ``n``
    counts the responses with a valid answer to at least one of them."""
    names, rows = [], []
    items = list(position)
    for e in instrument.elements.values():
        names.append(e.code)
        rows.append([code in e.items for code in items])
    for sub in ("service", "policy"):
        codes = {e.code for e in instrument.subindex_elements(sub)}
        names.append(sub)
        rows.append([instrument.items[code].element in codes for code in items])
    names.append("sipas")
    rows.append([True] * len(items))
    return tuple(names), np.array(rows, dtype=bool).reshape(len(names), len(items))


def _build(instrument: Instrument) -> Layout:
    items = instrument.index_items
    position = {item.code: k for k, item in enumerate(items)}
    groups = tuple(instrument.policy_groups)
    group = np.array([groups.index(i.group) if i.group in groups else -1 for i in items], dtype=np.int64)
    q = len(items)
    outcome = instrument.outcome
    outcome_y = 2 * q if outcome is not None else None
    cursor = 2 * q + (2 if outcome is not None else 0)
    multi = []
    for item in instrument.items.values():
        if item.kind == "multi" and item.scale is not None:
            options = tuple(sorted(item.scale.codes))
            y = tuple(range(cursor, cursor + len(options)))
            multi.append(MultiItem(item.code, options, y, cursor + len(options)))
            cursor += len(options) + 1
    multi_t = tuple(multi)
    valid = tuple(tuple(sorted(i.scale.valid)) for i in items if i.scale is not None)
    outcome_codes = tuple(sorted(instrument.items[outcome].scale.valid)) if outcome else ()
    alpha = _alpha_blocks(instrument, position)
    count_names, count_members = _count_members(instrument, position)
    described = {
        "version": LAYOUT_VERSION,
        "instrument": instrument.id,
        "items": [[i.code, int(g)] for i, g in zip(items, group, strict=True)],
        "outcome": [outcome, list(outcome_codes)],
        "multi": [[m.code, list(m.options)] for m in multi_t],
        "tables": [list(c) for c in valid],
        "alpha": [[b.name, [list(c) for c in b.columns]] for b in alpha],
        "counts": list(count_names),
    }
    fingerprint = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).digest()[:8]
    return Layout(
        instrument=instrument.id,
        items=tuple(position),
        group=group,
        groups=groups,
        outcome=outcome,
        outcome_y=outcome_y,
        multi=multi_t,
        n_vars=cursor,
        pairs=_pairs(group, multi_t),
        table_codes=valid,
        outcome_codes=outcome_codes,
        alpha=alpha,
        count_names=count_names,
        count_members=count_members,
        fingerprint=fingerprint,
    )


def layout_of(instrument: Instrument) -> Layout:
    """The cell layout of an instrument (computed once per instrument object).

    Examples
    --------
    >>> layout_of(load_instrument("sipas-2025")).n_pairs  # doctest: +SKIP
    3223
    """
    key = id(instrument)
    hit = _CACHE.get(key)
    if hit is None or hit[0] is not instrument:
        hit = _CACHE[key] = (instrument, _build(instrument))
    return hit[1]


#: Layouts by instrument object (instruments are frozen but hold mappings, so not hashable).
_CACHE: dict[int, tuple[Instrument, Layout]] = {}
