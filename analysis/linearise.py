"""Weighted ratio estimators and their Taylor-linearised covariance (METHOD §3).

One grouped aggregation pass gives, per cell (domain × cluster), ``Y = Σ w·sat_q`` and
``X = Σ w·valid_q`` for every item; everything after is small matrix algebra on those sums:

* rate ``S_q = 100 · Y_q / X_q`` per domain;
* linearised cluster totals ``z_iq = 100 · (Y_iq − S_q/100 · X_iq) / X_q``;
* per stratum h with ``n_h`` clusters (all clusters of the design, as R's ``svyby`` keeps them)
  ``V = Σ_h n_h/(n_h−1) · Σ_i (z_hi − z̄_h)(z_hi − z̄_h)ᵀ`` — a stratum with one cluster
  contributes 0 (R: ``options(survey.lonely.psu = "certainty")``) and is flagged.

This equals ``svyratio`` / ``svycontrast`` of R's survey package with
``svydesign(ids=~cluster, strata=~strata, weights=~w, nest=TRUE)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Design", "Moments", "cell_totals", "domain_moments", "make_design"]


@dataclass(frozen=True)
class Design:
    """Per-response codes: domain g (0..G-1), stratum h (0..H-1), cluster c (nested in h)."""

    group: np.ndarray
    n_groups: int
    stratum: np.ndarray
    cluster: np.ndarray
    clusters_per_stratum: np.ndarray


@dataclass(frozen=True)
class Moments:
    """Per domain: rates ``S`` (G×Q, NaN without data), denominators ``X`` and covariance ``V``."""

    rate: np.ndarray
    denominator: np.ndarray
    cov: np.ndarray
    single_cluster: np.ndarray


def _codes(values: pd.Series | None, n: int) -> np.ndarray:
    if values is None:
        return np.zeros(n, dtype=np.int64)
    return pd.factorize(values, sort=True)[0].astype(np.int64)


def make_design(
    group: np.ndarray, n_groups: int, stratum: pd.Series | None, cluster: pd.Series | None
) -> Design:
    """Build the design codes; an empty or absent cluster value makes a response its own cluster.

    Clusters are nested in strata (R ``nest=TRUE``): the same cluster label in two strata is two
    clusters.
    """
    n = len(group)
    h = _codes(stratum, n)
    if cluster is None:
        c_raw = np.arange(n, dtype=np.int64)
    else:
        c_raw = _codes(cluster, n)
        own = (cluster.astype("str") == "").to_numpy()
        c_raw = np.where(own, c_raw.max(initial=0) + 1 + np.arange(n), c_raw)
    c = pd.factorize(h * (np.int64(c_raw.max(initial=0)) + n + 1) + c_raw, sort=True)[0].astype(np.int64)
    n_strata = max(int(h.max(initial=-1)) + 1, 1)
    first = np.zeros(int(c.max(initial=-1)) + 1, dtype=np.int64)
    first[c] = h
    per_stratum = np.bincount(first, minlength=n_strata)
    return Design(group.astype(np.int64), n_groups, h, c, per_stratum)


def cell_totals(design: Design) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells = distinct (domain, cluster), sorted by domain: each response's cell and per cell
    its domain, stratum and cluster."""
    key = design.group * (int(design.cluster.max(initial=0)) + 1) + design.cluster
    cell, uniq = pd.factorize(key, sort=True)
    width = int(design.cluster.max(initial=0)) + 1
    cell_cluster = (uniq % width).astype(np.int64)
    cell_stratum = np.zeros(len(uniq), dtype=np.int64)
    cell_stratum[cell] = design.stratum
    return cell.astype(np.int64), (uniq // width).astype(np.int64), cell_stratum, cell_cluster


def _weighted_gram(z: np.ndarray, cell_group: np.ndarray, scale: np.ndarray, n_groups: int) -> np.ndarray:
    """``Σ_{k∈g} scale_k · z_k z_kᵀ`` per domain; cells are sorted by domain, so slices suffice."""
    bounds = np.searchsorted(cell_group, np.arange(n_groups + 1))
    out = np.zeros((n_groups, z.shape[1], z.shape[1]))
    root = np.sqrt(scale)[:, None]
    for g in range(n_groups):  # one BLAS product per domain; the work over all domains is O(cells)
        block = z[bounds[g] : bounds[g + 1]] * root[bounds[g] : bounds[g + 1]]
        out[g] = block.T @ block
    return out


def _group_sum(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, values.shape[1]))
    for j in range(values.shape[1]):  # per item column; bincount is a C loop over the rows
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=size)[:size]
    return out


def domain_moments(
    y: np.ndarray,
    x: np.ndarray,
    cell_group: np.ndarray,
    cell_stratum: np.ndarray,
    n_groups: int,
    clusters_per_stratum: np.ndarray,
) -> Moments:
    """Rates and their covariance per domain from cell totals ``y``, ``x`` (cells × items).

    Notes
    -----
    ``S_gq = 100 Y_gq / X_gq``; ``z_kq = 100 (y_kq − S_gq/100 · x_kq) / X_gq``;
    ``V_g = Σ_h f_h [Σ_{k∈g,h} z_k z_kᵀ − s_gh s_ghᵀ / n_h]`` with ``f_h = n_h/(n_h−1)``
    (0 for ``n_h = 1``) and ``s_gh = Σ_{k∈g,h} z_k``.
    """
    big_y = _group_sum(cell_group, y, n_groups)
    big_x = _group_sum(cell_group, x, n_groups)
    has = big_x > 0
    ratio = np.divide(big_y, big_x, out=np.zeros_like(big_y), where=has)
    inv = np.divide(100.0, big_x, out=np.zeros_like(big_x), where=has)
    z = np.empty_like(y)
    for q in range(y.shape[1]):  # per item, to keep temporaries one column wide
        z[:, q] = (y[:, q] - ratio[cell_group, q] * x[:, q]) * inv[cell_group, q]
    n_h = clusters_per_stratum.astype(float)
    f_h = np.divide(n_h, n_h - 1.0, out=np.zeros_like(n_h), where=n_h > 1)
    gram = _weighted_gram(z, cell_group, f_h[cell_stratum], n_groups)
    n_strata = len(n_h)
    gh = cell_group * n_strata + cell_stratum
    s = _group_sum(gh, z, n_groups * n_strata).reshape(n_groups, n_strata, z.shape[1])
    s *= np.sqrt(np.divide(f_h, n_h, out=np.zeros_like(n_h), where=n_h > 0))[None, :, None]
    cov = gram - np.einsum("ghq,ghr->gqr", s, s)
    present = np.zeros((n_groups, n_strata), dtype=bool)
    present[cell_group, cell_stratum] = True
    single = (present & (clusters_per_stratum == 1)[None, :]).any(axis=1)
    return Moments(np.where(has, 100.0 * ratio, np.nan), big_x, cov, single)
