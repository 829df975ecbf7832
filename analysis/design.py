"""Design-based covariance of weighted totals from cell sums (Taylor linearisation, METHOD §3/§6).

The design is R's ``svydesign(ids = ~psu, strata = ~stratum, weights = ~w, nest = TRUE)``,
optionally ``postStratify``-ed to known counts per post-stratum. Two kinds of input:

* **cells whose responses are each their own PSU** (``ids = ~1``): a cell's ``Σw²·v·vᵀ`` gives
  the sum of squares of its responses' scores, so no response is ever needed again;
* **PSU parts** (``ids = ~cluster``): the totals ``Σw·v`` of each cluster within each cell.

For a domain D (R ``svyby`` / ``subset``) and a post-stratum p with factor ``g_p = N_p / Σ_p w``
(1 without post-strata), each response's score in v-space is
``r_i = g_p · w_i · (v_i·[i ∈ D] − τ_p)``, with ``τ_p = Σ_{p∩D} w·v / Σ_p w`` — R's
``svyrecvar`` removing the post-stratum means (``τ = 0`` without post-strata). Then, with
PSU totals ``t_j`` and ``n_h`` PSUs in stratum h,

    Cov(D, E) = Σ_h f_h [Σ_{j∈h} t_j^D t_j^Eᵀ − c_h · a_h^D a_h^Eᵀ / n_h],   a_h = Σ_{j∈h} t_j,

``f_h = n_h / (n_h − 1)``, ``c_h = 1``; a stratum with one PSU in the design has ``f = 1``,
``c = 0`` (R ``options(survey.lonely.psu = "adjust")``: centred at the population mean, zero).
``Cov(D, D)`` is ``vcov(svytotal(~v, subset(design, D)))``; ``Cov(D, E)`` for two domains is the
joint linearisation ``svyby(..., covmat = TRUE)`` uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.cellsum import Columns
from analysis.layout import Layout

__all__ = ["CellDesign", "PsuParts", "domain_totals", "totals_cov", "unpack"]


@dataclass(frozen=True)
class PsuParts:
    """Cluster totals per cell: ``cell`` (index of the cell), ``psu`` (global code, nested in
    strata), ``s1`` (Σw·v), ``sw`` (Σw), and for the degrees of freedom ``n`` (responses) and
    ``s0`` (unweighted Σv)."""

    cell: np.ndarray
    psu: np.ndarray
    s1: np.ndarray
    sw: np.ndarray
    n: np.ndarray
    s0: np.ndarray


@dataclass(frozen=True)
class CellDesign:
    """Kept cells with their stratum, post-stratum (-1 none) and post-stratification factor.

    ``parts`` is None when every response is its own PSU; otherwise the PSU parts of the cells.
    ``n_h`` counts the PSUs of each stratum in the whole design.
    """

    stats: np.ndarray
    cols: Columns
    layout: Layout
    stratum: np.ndarray
    post: np.ndarray
    gfac: np.ndarray
    n_h: np.ndarray
    parts: PsuParts | None = None

    @property
    def poststratified(self) -> bool:
        """Whether the weights were post-stratified (R: a calibrated design)."""
        return bool((self.post >= 0).any())


def unpack(layout: Layout, pairs: np.ndarray, s1sq: np.ndarray) -> np.ndarray:
    """The dense ``Σw²·v·vᵀ`` (V × V) from stored products and ``Σw²·v``.

    Within an item ``y·y = y·x = y`` and ``x·x = x`` (0/1 with ``y ≤ x``); the same for the
    outcome and for a multi item's options and their ``x``. Products never stored are 0.
    """
    v, q = layout.n_vars, layout.n_items
    out = np.zeros((v, v))
    i, j = layout.pairs[:, 0], layout.pairs[:, 1]
    out[i, j] = pairs
    out[j, i] = pairs
    ys = list(range(q))
    if layout.outcome_y is not None:
        ys.append(layout.outcome_y)
    for y in ys:
        x = q + y if y < q else y + 1
        out[y, y] = out[y, x] = out[x, y] = s1sq[y]
        out[x, x] = s1sq[x]
    for m in layout.multi:
        for y in m.y:
            out[y, y] = out[y, m.x] = out[m.x, y] = s1sq[y]
        out[m.x, m.x] = s1sq[m.x]
    return out


def domain_totals(design: CellDesign, inside: np.ndarray) -> np.ndarray:
    """Post-stratified totals ``Σ g·w·v`` of a domain (mask over cells)."""
    s1 = design.stats[inside, design.cols.s1]
    return design.gfac[inside] @ s1


def _tau(design: CellDesign, inside: np.ndarray) -> np.ndarray | None:
    """Per post-stratum ``τ_p = Σ_{p∩D} w·v / Σ_p w`` (None without post-strata)."""
    if not design.poststratified:
        return None
    n_post = int(design.post.max()) + 1
    weight = np.bincount(design.post, weights=design.stats[:, design.cols.sw], minlength=n_post)
    total = np.zeros((n_post, design.layout.n_vars))
    np.add.at(total, design.post[inside], design.stats[inside, design.cols.s1])
    return np.divide(total, weight[:, None], out=np.zeros_like(total), where=weight[:, None] > 0)


def _scores(design: CellDesign, inside: np.ndarray, tau: np.ndarray | None, s1, sw, cell) -> np.ndarray:
    """``r = g·(s1·[in D] − sw·τ_p)`` for rows (cells or PSU parts) of the given cells."""
    r = np.where(inside[cell][:, None], s1, 0.0)
    if tau is not None:
        r = r - sw[:, None] * tau[design.post[cell]]
    return r * design.gfac[cell][:, None]


def _factors(n_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f_h`` and the centring switch ``c_h`` (0 for a lonely stratum: R 'adjust')."""
    n = n_h.astype(float)
    lonely = n <= 1
    f = np.where(lonely, 1.0, n / np.maximum(n - 1.0, 1.0))
    return f, np.where(lonely, 0.0, 1.0)


def _weighted_sum(view: np.ndarray, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``Σ_k weights_k · view[rows_k]`` without copying most of a wide column block."""
    if 2 * len(rows) > len(view):
        full = np.zeros(len(view))
        full[rows] = weights
        return full @ view
    return weights @ view[rows]


def _own_psu_ssp(design, rows, in_a, in_b, tau_a, tau_b, f) -> np.ndarray:
    """Σ over responses of ``f_h · r^A r^Bᵀ`` when each response is its own PSU, from cell sums:
    ``g²·[Σw²vvᵀ·[A∩B] − Σw²v·[A]·τ_Bᵀ − τ_A·(Σw²v)ᵀ·[B] + Σw²·τ_A τ_Bᵀ]`` per cell."""
    cols, stats = design.cols, design.stats
    scale = f[design.stratum[rows]] * design.gfac[rows] ** 2
    both = in_a[rows] & in_b[rows]
    pairs = _weighted_sum(stats[:, cols.pairs], rows[both], scale[both])
    out = unpack(design.layout, pairs, _weighted_sum(stats[:, cols.s1sq], rows[both], scale[both]))
    if tau_a is None:
        return out
    post = design.post[rows]
    s1sq = stats[rows, cols.s1sq]
    out -= _cross_tau(s1sq, scale, in_a[rows], tau_b[post])
    out -= _cross_tau(s1sq, scale, in_b[rows], tau_a[post]).T
    sw2 = stats[rows, cols.sw2] * scale
    out += (tau_a[post] * sw2[:, None]).T @ tau_b[post]
    return out


def _cross_tau(s1sq: np.ndarray, scale: np.ndarray, inside: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """``Σ_{k∈D} scale_k · (Σ_{i∈k} w_i² v_i) τ_{p(k)}ᵀ``."""
    return (s1sq[inside] * scale[inside][:, None]).T @ tau[inside]


def _relevant(design: CellDesign, touched: np.ndarray) -> np.ndarray:
    """Cells whose scores can be non-zero: the domains' own, and with post-strata every cell of a
    post-stratum they touch (its mean is removed from all its responses)."""
    if not design.poststratified:
        return np.flatnonzero(touched)
    posts = np.zeros(int(design.post.max()) + 1, dtype=bool)
    posts[design.post[touched]] = True
    return np.flatnonzero(touched | posts[design.post])


def totals_cov(
    design: CellDesign, in_a: np.ndarray, in_b: np.ndarray | None = None, *, with_scale: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """``Cov`` of the domain totals of A and B (V × V); B = A gives the variance of A's totals.

    ``with_scale`` also returns the uncentred sums of squares ``Σ_h f_h Σ_j t_j t_jᵀ``: a
    variance below 1e-12 of them is rounding of a true 0 (centring cancels the digits).
    """
    same = in_b is None
    in_b = in_a if in_b is None else in_b
    tau_a = _tau(design, in_a)
    tau_b = tau_a if same else _tau(design, in_b)
    f, c = _factors(design.n_h)
    rows = _relevant(design, in_a | in_b)
    if design.parts is None:
        ssp = _own_psu_ssp(design, rows, in_a, in_b, tau_a, tau_b, f)
        s1, sw = design.stats[rows, design.cols.s1], design.stats[rows, design.cols.sw]
        r_a = _scores(design, in_a, tau_a, s1, sw, rows)
        r_b = r_a if same else _scores(design, in_b, tau_b, s1, sw, rows)
        stratum = design.stratum[rows]
    else:
        parts = design.parts
        keep = np.isin(parts.cell, rows)
        cell, psu = parts.cell[keep], parts.psu[keep]
        r_a = _scores(design, in_a, tau_a, parts.s1[keep], parts.sw[keep], cell)
        r_b = r_a if same else _scores(design, in_b, tau_b, parts.s1[keep], parts.sw[keep], cell)
        psu = np.unique(psu, return_inverse=True)[1]
        n_psu = int(psu.max(initial=-1)) + 1
        t_a = np.zeros((n_psu, r_a.shape[1]))
        np.add.at(t_a, psu, r_a)
        t_b = t_a if same else np.zeros_like(t_a)
        if not same:
            np.add.at(t_b, psu, r_b)
        stratum = np.zeros(n_psu, dtype=np.int64)
        stratum[psu] = design.stratum[cell]
        ssp = (t_a * f[stratum][:, None]).T @ t_b
        r_a, r_b = t_a, t_b
    n_strata = len(design.n_h)
    a_h = np.zeros((n_strata, r_a.shape[1]))
    np.add.at(a_h, stratum, r_a)
    b_h = a_h if same else np.zeros_like(a_h)
    if not same:
        np.add.at(b_h, stratum, r_b)
    weight = f * c / np.maximum(design.n_h.astype(float), 1.0)
    cov = ssp - (a_h * weight[:, None]).T @ b_h
    return (cov, ssp) if with_scale else cov
