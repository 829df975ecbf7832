"""From responses to every estimate of every domain: one aggregation pass, then the algebra.

Domain 0 is the whole selection; domains 1..G are the groups. For each, the chain coefficients
``c`` turn the item rates ``S`` and their covariance ``V`` into ``I = c·S`` and
``SE(I) = sqrt(cᵀ V c)`` for every item, element, sub-index and SIPAS at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.answers import Answers
from analysis.chain import chain_coefficients
from analysis.instrument import Instrument
from analysis.linearise import Design, Moments, cell_totals, domain_moments

__all__ = ["Estimates", "estimate_all"]


@dataclass(frozen=True)
class Estimates:
    """Arrays over (domain, estimate): value and se (NaN when null), n, and per-domain flags."""

    codes: tuple[str, ...]
    value: np.ndarray
    se: np.ndarray
    n: np.ndarray
    reasons: tuple[tuple[str, ...], ...]
    single_cluster: np.ndarray
    rate: np.ndarray
    cov: np.ndarray


def _members(instrument: Instrument) -> np.ndarray:
    """Which items (columns) feed each non-item estimate (rows): elements, service, policy, sipas."""
    items = [i.code for i in instrument.index_items]
    rows = [[code in e.items for code in items] for e in instrument.elements.values()]
    for sub in ("service", "policy"):
        rows.append([instrument.items[code].element in _sub_elements(instrument, sub) for code in items])
    rows.append([True] * len(items))
    return np.array(rows, dtype=bool)


def _sub_elements(instrument: Instrument, sub: str) -> set[str]:
    return {e.code for e in instrument.subindex_elements(sub)}


def _aggregate(answers: Answers, instrument: Instrument, weight: np.ndarray, design: Design):
    """The single pass over responses: per cell Σ w·sat_q, Σ w·valid_q; per group valid counts.

    Per item one weighted bincount over (cell, answer code) gives the weighted count of every
    code in every cell; the satisfied and valid sums are then read off that small table.
    """
    cell, cell_group, cell_stratum, cell_cluster = cell_totals(design)
    items = instrument.index_items
    n_cells, width = len(cell_group), answers.valid_table.shape[1]
    y = np.empty((n_cells, len(items)), order="F")  # filled column by column
    x = np.empty((n_cells, len(items)), order="F")
    members = _members(instrument)
    n_item = np.empty((design.n_groups, len(items)), dtype=np.int64)
    any_valid = np.zeros((members.shape[0], len(cell)), dtype=bool)
    cell_base, group_base = cell * width + 1, design.group * width + 1
    # Few cells (clustered data): one bincount over (cell, code). Many cells (each response its
    # own cluster): that table would be cells × codes large, so sum w·sat and w·valid directly.
    by_code = n_cells * width <= 4 * len(cell)
    for q, item in enumerate(items):
        k = answers.index(item.code)
        code = answers.codes[:, k]
        if by_code:
            table = np.bincount(cell_base + code, weights=weight, minlength=n_cells * width)
            table = table[: n_cells * width].reshape(n_cells, width)
            y[:, q] = table @ answers.satisfied_table[k]
            x[:, q] = table @ answers.valid_table[k]
        elif n_cells == len(cell):  # every response its own cell: place, nothing to add up
            y[cell, q] = weight * answers.satisfied(k)
            x[cell, q] = weight * answers.valid(k)
        else:
            y[:, q] = np.bincount(cell, weights=weight * answers.satisfied(k), minlength=n_cells)[:n_cells]
            x[:, q] = np.bincount(cell, weights=weight * answers.valid(k), minlength=n_cells)[:n_cells]
        counts = np.bincount(group_base + code, minlength=design.n_groups * width)[: design.n_groups * width]
        n_item[:, q] = counts.reshape(design.n_groups, width) @ answers.valid_table[k].astype(np.int64)
        any_valid[members[:, q]] |= answers.valid(k)
    n_rest = np.stack(
        [np.bincount(design.group[a], minlength=design.n_groups)[: design.n_groups] for a in any_valid], 1
    ).reshape(design.n_groups, len(any_valid))
    counts = np.concatenate([n_item, n_rest.astype(np.int64)], axis=1)
    return y, x, (cell_group, cell_stratum, cell_cluster), counts


def _overall(y: np.ndarray, x: np.ndarray, cells, design: Design) -> Moments:
    """The whole selection: cells merged into clusters (reused as they are when already 1:1)."""
    _, cell_stratum, cell_cluster = cells
    n_clusters = int(design.cluster.max(initial=-1)) + 1
    if len(cell_cluster) != n_clusters:
        y = np.stack(
            [np.bincount(cell_cluster, weights=y[:, q], minlength=n_clusters) for q in range(y.shape[1])], 1
        )
        x = np.stack(
            [np.bincount(cell_cluster, weights=x[:, q], minlength=n_clusters) for q in range(x.shape[1])], 1
        )
        cell_stratum = np.zeros(n_clusters, dtype=np.int64)
        cell_stratum[design.cluster] = design.stratum
    zeros = np.zeros(len(cell_stratum), dtype=np.int64)
    return domain_moments(y, x, zeros, cell_stratum, 1, design.clusters_per_stratum)


def _numerical_zero(var: np.ndarray, coef: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Variances that are zero up to rounding become exactly 0.

    ``cᵀVc`` of a combination whose true variance is 0 (e.g. items that move in lockstep)
    leaves rounding of the order of 1e-16 times its largest possible value
    ``(Σ_q |c_q| sd_q)²``; below 1e-12 of that bound the variance is taken as 0.
    """
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
    bound = np.einsum("gmq,gq->gm", np.abs(coef), sd) ** 2
    return np.where(var <= 1e-12 * bound, 0.0, var)


def estimate_all(answers: Answers, instrument: Instrument, weight: np.ndarray, design: Design) -> Estimates:
    """Every estimate for the whole selection (row 0) and each group (rows 1..G).

    Notes
    -----
    ``value = c·S`` and ``se = sqrt(cᵀ V c)`` with ``c`` from :func:`chain_coefficients`;
    a null estimate (chain undefined) has NaN value and se.
    """
    y, x, cells, counts = _aggregate(answers, instrument, weight, design)
    overall = _overall(y, x, cells, design)
    groups = domain_moments(y, x, cells[0], cells[1], design.n_groups, design.clusters_per_stratum)
    del y, x
    rate = np.concatenate([overall.rate, groups.rate])
    cov = np.concatenate([overall.cov, groups.cov])
    chain = chain_coefficients(np.concatenate([overall.denominator, groups.denominator]) > 0, instrument)
    value = np.einsum("gmq,gq->gm", chain.coef, np.nan_to_num(rate))
    var = np.einsum("gmq,gqr,gmr->gm", chain.coef, cov, chain.coef)
    se = np.sqrt(_numerical_zero(var, chain.coef, cov))
    value = np.where(chain.defined, value, np.nan)
    se = np.where(chain.defined, se, np.nan)
    n = np.concatenate([counts.sum(axis=0, keepdims=True), counts])
    single = np.concatenate([overall.single_cluster, groups.single_cluster])
    return Estimates(chain.codes, value, se, n, chain.reasons, single, rate, cov)
