"""'Improve first' (METHOD §4): score ``(100 − S_q) × importance_q`` per item and group.

Importance is the Spearman correlation of the item with the outcome ``B0`` (negatives as 0),
over the group's responses, or over the whole selection when the group has fewer than 100.
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

__all__ = ["DriverTable", "MIN_OWN_RESPONSES", "TOP", "priorities", "spearman_from_table"]

MIN_OWN_RESPONSES = 100
TOP = 5


@dataclass(frozen=True)
class DriverTable:
    """Per domain (row 0 = whole selection) and item: importance, score, and its source."""

    items: tuple[str, ...]
    importance: np.ndarray
    score: np.ndarray
    own: np.ndarray


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


def priorities(
    answers: Answers, instrument: Instrument, group: np.ndarray, n_groups: int, est: Estimates
) -> DriverTable:
    """Importance and priority score of every index item in every domain.

    Notes
    -----
    ``score_q = (100 − S_q) · max(rho_q, 0)``; ``rho_q`` from the group's own responses when it
    has at least 100, else from the whole selection. Null where ``S_q`` is null.
    """
    items = tuple(i.code for i in instrument.index_items)
    shape = (n_groups + 1, len(items))
    if instrument.outcome is None or instrument.outcome not in answers.columns:
        return DriverTable(items, np.full(shape, np.nan), np.full(shape, np.nan), np.ones(shape[0], bool))
    rho = spearman_from_table(_tables(answers, instrument, group, n_groups))
    sizes = np.concatenate([[len(group)], np.bincount(group, minlength=n_groups)[:n_groups]])
    own = sizes >= MIN_OWN_RESPONSES
    own[0] = True
    importance = np.where(own[:, None], rho, rho[0][None, :])
    weight = np.clip(np.nan_to_num(importance), 0.0, None)
    score = (100.0 - est.value[:, : len(items)]) * weight
    return DriverTable(items, importance, score, own)
