"""Importance of a criterion: Spearman's rho with the outcome ``B0`` (METHOD §4), from tables.

Importance is the Spearman correlation with ``B0`` over the domain's responses when it has at
least 100 and rho is defined, else over a reference (the province, given by the caller) or
the whole selection. Answers take a handful of codes, so rho is exact (mid-ranks for ties)
from the item × outcome contingency table, which cells keep: no response is needed. A policy
element's table is the sum of its groups' tables (one group per respondent), so its rho is the
correlation of each respondent's answer to that element with ``B0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.layout import Layout

__all__ = ["MIN_OWN_RESPONSES", "Importance", "importance", "item_tables", "spearman_from_table"]

MIN_OWN_RESPONSES = 100


def spearman_from_table(table: np.ndarray) -> np.ndarray:
    """Spearman's rho from contingency tables ``table[..., i, j]`` (mid-ranks for ties).

    Notes
    -----
    With row totals ``r_i`` and mid-ranks ``R_i = Σ_{i'<i} r_{i'} + (r_i + 1)/2`` (same for
    columns), rho is the Pearson correlation of ``(R_i, C_j)`` weighted by ``table[i, j]``.
    NaN where either variable is constant or there are fewer than two pairs.
    """
    t = table.astype(float)
    n = t.sum(axis=(-2, -1))
    rows, cols = t.sum(axis=-1), t.sum(axis=-2)
    rank_r = np.cumsum(rows, axis=-1) - (rows - 1) / 2.0
    rank_c = np.cumsum(cols, axis=-1) - (cols - 1) / 2.0
    mean = (n + 1) / 2.0
    dr, dc = rank_r - mean[..., None], rank_c - mean[..., None]
    cov = np.einsum("...ij,...i,...j->...", t, dr, dc)
    var_r = np.einsum("...i,...i->...", rows, dr * dr)
    var_c = np.einsum("...j,...j->...", cols, dc * dc)
    denom = np.sqrt(var_r * var_c)
    return np.divide(cov, denom, out=np.full(cov.shape, np.nan), where=denom > 0)


def item_tables(tables: np.ndarray, layout: Layout) -> list[np.ndarray]:
    """Per index item its (domains × codes × outcome codes) table from the flat cell sums."""
    out, at = [], 0
    width = len(layout.outcome_codes)
    for codes in layout.table_codes:
        size = len(codes) * width
        out.append(tables[:, at : at + size].reshape(-1, len(codes), width))
        at += size
    return out


def _rho(tables: np.ndarray, layout: Layout, elements: dict[str, list[int]]) -> np.ndarray:
    """Rho of every item, then of every pooled element, per domain."""
    if not layout.outcome_codes:
        return np.full((len(tables), layout.n_items + len(elements)), np.nan)
    per_item = item_tables(tables, layout)
    rho = [spearman_from_table(t) for t in per_item]
    rho += [spearman_from_table(sum(per_item[k] for k in members)) for members in elements.values()]
    return np.stack(rho, axis=1)


@dataclass(frozen=True)
class Importance:
    """Per domain (row 0 = whole selection) and code (items, then pooled policy elements):
    importance and where it came from (``group``, ``reference`` or ``selection``)."""

    codes: tuple[str, ...]
    value: np.ndarray
    source: np.ndarray


def importance(
    tables: np.ndarray,
    sizes: np.ndarray,
    layout: Layout,
    elements: dict[str, list[int]],
    reference: np.ndarray | None = None,
) -> Importance:
    """Importances per domain from the domains' tables (``tables[0]`` = whole selection).

    ``elements`` maps each pooled policy element to its items' positions; ``reference`` is the
    summed table row of reference responses (the province) or None.
    """
    rho = _rho(tables, layout, elements)
    own = sizes >= MIN_OWN_RESPONSES
    if reference is None:
        own[0] = True
        fallback, label = rho[0], "selection"
    else:
        fallback, label = _rho(reference[None, :], layout, elements)[0], "reference"
    use_own = own[:, None] & ~np.isnan(rho)
    value = np.where(use_own, rho, fallback[None, :])
    source = np.where(use_own, "group", label).astype(object)
    return Importance((*layout.items, *elements), value, source)
