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
    """Build the design codes; an empty, missing or absent cluster value makes a response its own
    cluster, and a missing stratum is the stratum ``""``.

    Clusters are nested in strata (R ``nest=TRUE``): the same cluster label in two strata is two
    clusters.
    """
    n = len(group)
    if stratum is not None and stratum.isna().any():  # a missing stratum is the stratum ""
        stratum = stratum.astype("str").where(stratum.notna(), "")
    h = _codes(stratum, n)
    if cluster is None:
        c_raw = np.arange(n, dtype=np.int64)
    else:
        c_raw = _codes(cluster, n)
        own = (cluster.isna() | (cluster.astype("str") == "")).to_numpy()
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


#: Rows of cell totals turned into linearised values at a time (bounds the temporaries).
CHUNK = 1 << 16


def _chunks(rows: tuple[int, int]):
    for start in range(rows[0], rows[1], CHUNK):  # a few chunks per million cells
        yield start, min(start + CHUNK, rows[1])


def _block(y, x, rows: tuple[int, int], ratio, inv, stratum, f_h, n_h):
    """``Σ_h f_h Σ_i (z_hi − z̄_h)(z_hi − z̄_h)ᵀ`` over one domain's cells, in two passes.

    ``z = 100 (y − S/100 · x) / X`` is never held for more than CHUNK cells at once. The
    stratum means ``z̄_h = Σ z / n_h`` count every cluster of the stratum (those outside the
    domain have z = 0), and centring before squaring keeps a zero variance exactly zero.
    """
    n_strata, width = len(n_h), y.shape[1]
    sums, inside = np.zeros((n_strata, width)), np.zeros(n_strata)
    for start, stop in _chunks(rows):
        z = (y[start:stop] - ratio * x[start:stop]) * inv
        h = stratum[start:stop]
        runs = np.flatnonzero(np.diff(h, prepend=h[0] - 1))
        np.add.at(sums, h[runs], np.add.reduceat(z, runs, axis=0))
        inside += np.bincount(h, minlength=n_strata)
    mean = np.divide(sums, n_h[:, None], out=np.zeros_like(sums), where=n_h[:, None] > 0)
    outside = f_h * (n_h - inside)
    gram = (mean * outside[:, None]).T @ mean
    root = np.sqrt(f_h)
    for start, stop in _chunks(rows):
        h = stratum[start:stop]
        z = ((y[start:stop] - ratio * x[start:stop]) * inv - mean[h]) * root[h][:, None]
        gram += z.T @ z
    return gram


def domain_moments(
    y: np.ndarray,
    x: np.ndarray,
    cell_group: np.ndarray,
    cell_stratum: np.ndarray,
    n_groups: int,
    clusters_per_stratum: np.ndarray,
) -> Moments:
    """Rates and their covariance per domain from cell totals ``y``, ``x`` (cells × items).

    Cells must be sorted by domain (``cell_group``), so each domain is one slice.

    Notes
    -----
    ``S_gq = 100 Y_gq / X_gq``; ``z_kq = 100 (y_kq − S_gq/100 · x_kq) / X_gq``;
    ``V_g = Σ_h f_h [Σ_{k∈g,h} z_k z_kᵀ − s_gh s_ghᵀ / n_h]`` with ``f_h = n_h/(n_h−1)``
    (0 for ``n_h = 1``) and ``s_gh = Σ_{k∈g,h} z_k``.
    """
    bounds = np.searchsorted(cell_group, np.arange(n_groups + 1))
    big_y = np.zeros((n_groups, y.shape[1]))
    big_x = np.zeros((n_groups, y.shape[1]))
    for g in range(n_groups):  # each domain is a slice of the sorted cells
        big_y[g] = y[bounds[g] : bounds[g + 1]].sum(axis=0)
        big_x[g] = x[bounds[g] : bounds[g + 1]].sum(axis=0)
    has = big_x > 0
    ratio = np.divide(big_y, big_x, out=np.zeros_like(big_y), where=has)
    inv = np.divide(100.0, big_x, out=np.zeros_like(big_x), where=has)
    n_h = clusters_per_stratum.astype(float)
    f_h = np.divide(n_h, n_h - 1.0, out=np.zeros_like(n_h), where=n_h > 1)
    cov = np.zeros((n_groups, y.shape[1], y.shape[1]))
    for g in range(n_groups):  # one pass over each domain's own cells: O(cells) in all
        rows = (int(bounds[g]), int(bounds[g + 1]))
        cov[g] = _block(y, x, rows, ratio[g], inv[g], cell_stratum, f_h, n_h)
    present = np.zeros((n_groups, len(n_h)), dtype=bool)
    present[cell_group, cell_stratum] = True
    single = (present & (clusters_per_stratum == 1)[None, :]).any(axis=1)
    return Moments(np.where(has, 100.0 * ratio, np.nan), big_x, cov, single)
