"""'Improve first' (METHOD §4): score ``(100 − S_q) × importance_q`` per item and group.

Importance is the Spearman correlation of the item with the outcome ``B0`` (negatives as 0),
over the group's responses, or, when the group has fewer than 100 or its correlation is
undefined, over a reference (the province, given by the caller) or else the whole selection.
An item whose importance is still undefined is not ranked.
Answers take a handful of codes, so Spearman's rho is computed exactly (mid-ranks for ties)
from the item × outcome contingency table of each group: one bincount per item, no loop over
groups or respondents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.answers import Answers
from analysis.estimate import Estimates
from analysis.instrument import Instrument

__all__ = [
    "DriverTable",
    "MIN_OWN_RESPONSES",
    "TOP",
    "priorities",
    "reference_importance",
    "spearman_from_table",
]

MIN_OWN_RESPONSES = 100
TOP = 5


@dataclass(frozen=True)
class DriverTable:
    """Per domain (row 0 = whole selection) and item: importance, score, and its source.

    ``own`` says per domain whether it has the responses for its own importances; ``source``
    per domain and item where the importance came from: ``group``, ``reference`` or
    ``selection``.
    """

    items: tuple[str, ...]
    importance: np.ndarray
    score: np.ndarray
    own: np.ndarray
    source: np.ndarray | None = None


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


def _tables(answers: Answers, instrument: Instrument, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Item × outcome counts of valid answer pairs: shape (domains, items, V, V).

    Codes are used as table positions (valid codes of the 5-point scale are 1..5); pairs with
    an invalid answer go to a spare last bin that is dropped.
    """
    b_col = answers.index(instrument.outcome)
    size = int(max(instrument.items[instrument.outcome].scale.valid)) + 1
    total = n_groups * size * size
    b_ok = answers.valid(b_col)
    base = np.where(b_ok, group * size * size + answers.codes[:, b_col], total)
    out = np.zeros((n_groups + 1, len(instrument.index_items), size, size))
    for q, item in enumerate(instrument.index_items):
        k = answers.index(item.code)
        cell = np.where(answers.valid(k), base + answers.codes[:, k].astype(np.int64) * size, total)
        counts = np.bincount(np.minimum(cell, total), minlength=total + 1)[:total]
        out[1:, q] = counts.reshape(n_groups, size, size)
    out[0] = out[1:].sum(axis=0)
    return out


def reference_importance(answers: Answers, instrument: Instrument) -> np.ndarray:
    """Spearman's rho of every index item with the outcome over all the given responses.

    NaN for every item when the instrument has no outcome or the responses lack it.

    Examples
    --------
    >>> reference_importance(rating_answers(province_df, ins), ins)  # doctest: +SKIP
    """
    n_items = len(instrument.index_items)
    if instrument.outcome is None or instrument.outcome not in answers.columns:
        return np.full(n_items, np.nan)
    one = np.zeros(len(answers.codes), dtype=np.int64)
    return spearman_from_table(_tables(answers, instrument, one, 1))[0]


def priorities(
    answers: Answers,
    instrument: Instrument,
    group: np.ndarray,
    n_groups: int,
    est: Estimates,
    *,
    reference: np.ndarray | None = None,
) -> DriverTable:
    """Importance and priority score of every index item in every domain.

    Notes
    -----
    ``score_q = (100 − S_q) · max(rho_q, 0)``; ``rho_q`` from the domain's own responses when it
    has at least 100 and rho is defined, else from ``reference`` (per item) or, without one,
    from the whole selection. Null where ``S_q`` or the importance is null (not ranked).
    """
    items = tuple(i.code for i in instrument.index_items)
    shape = (n_groups + 1, len(items))
    if instrument.outcome is None or instrument.outcome not in answers.columns:
        rho = np.full(shape, np.nan)
    else:
        rho = spearman_from_table(_tables(answers, instrument, group, n_groups))
    sizes = np.concatenate([[len(group)], np.bincount(group, minlength=n_groups)[:n_groups]])
    own = sizes >= MIN_OWN_RESPONSES
    if reference is None:
        own[0] = True
        fallback, label = rho[0], "selection"
    else:
        fallback, label = np.asarray(reference, dtype=float), "reference"
    use_own = own[:, None] & ~np.isnan(rho)
    importance = np.where(use_own, rho, fallback[None, :])
    weight = np.where(np.isnan(importance), np.nan, np.maximum(np.nan_to_num(importance), 0.0))
    score = (100.0 - est.value[:, : len(items)]) * weight
    source = np.where(use_own, "group", label).astype(object)
    return DriverTable(items, importance, score, own, source)
