"""From a cell design to every estimate of every domain: totals, their covariance, the chain.

Domain 0 is the whole selection; domains 1..G are the groups (R ``svyby``: each a domain of the
one design). For each, the rate of item q is ``S_q = 100·Y_q/X_q`` and its linearised score
``z = 100·(y − S_q/100·x)/X_q``, so ``Cov(S) = L·Cov(Y, X)·Lᵀ``; an index ``I = c·S`` (chain
coefficients, :mod:`analysis.chain`) has ``Var(I) = cᵀ·Cov(S)·c`` — ``svycontrast`` on
``svytotal``. Degrees of freedom are R's ``degf`` of the domain (its PSUs minus its strata),
for an item counted over the responses that answered it validly (``svyciprop`` on the subset).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.chain import chain_coefficients, estimate_codes
from analysis.design import CellDesign, domain_totals, totals_cov, unpack
from analysis.instrument import Instrument

__all__ = ["ZERO_VAR", "Estimates", "estimate_domains", "ratio_cov"]

#: Variances (in squared percentage points) below this are a true 0 carried through rounding.
ZERO_VAR = 1e-12


@dataclass(frozen=True)
class Estimates:
    """Arrays over (domain, estimate); NaN where null.

    ``var`` is the design variance, ``var_srs`` the variance of the same scores as if the
    responses were a simple random sample (design effect = var / var_srs). ``answers`` and
    ``rows`` feed the Korn–Graubard interval of the items. ``extra_*`` hold the other rates
    (outcome, multi-choice options) by ``extra_codes``.
    """

    codes: tuple[str, ...]
    value: np.ndarray
    var: np.ndarray
    var_srs: np.ndarray
    n: np.ndarray
    df: np.ndarray
    rows: np.ndarray
    reasons: tuple[tuple[str, ...], ...]
    lonely: np.ndarray
    size: np.ndarray
    domain_df: np.ndarray
    extra_codes: tuple[str, ...]
    extra_value: np.ndarray
    extra_var: np.ndarray
    extra_n: np.ndarray
    extra_df: np.ndarray
    extra_rows: np.ndarray
    tables: np.ndarray
    alpha: np.ndarray


def ratio_cov(totals: np.ndarray, cov: np.ndarray, y: np.ndarray, x: np.ndarray) -> tuple:
    """Rates ``100·T_y/T_x`` and their covariance ``L·cov·Lᵀ`` for ratio pairs ``(y, x)``."""
    big_x = totals[x]
    has = big_x > 0
    r = np.divide(totals[y], big_x, out=np.zeros(len(y)), where=has)
    inv = np.divide(100.0, big_x, out=np.zeros(len(y)), where=has)
    c = cov[np.ix_(y, y)] - r[None, :] * cov[np.ix_(y, x)]
    c = c - r[:, None] * cov[np.ix_(x, y)] + np.outer(r, r) * cov[np.ix_(x, x)]
    return np.where(has, 100.0 * r, np.nan), c * np.outer(inv, inv), has


def _degf(design: CellDesign, inside: np.ndarray) -> tuple[float, np.ndarray]:
    """R ``degf`` of the domain and of each rate variable's subset (PSUs − strata with data)."""
    cols = design.cols
    if design.parts is None:
        counts = np.column_stack([design.stats[inside, cols.n], design.stats[inside, cols.s0]])
        per_h = np.zeros((len(design.n_h), counts.shape[1]))
        np.add.at(per_h, design.stratum[inside], counts)
        psus = per_h.sum(axis=0)
    else:
        parts = design.parts
        keep = inside[parts.cell]
        counts = np.column_stack([parts.n[keep], parts.s0[keep]])
        psu = np.unique(parts.psu[keep], return_inverse=True)[1]
        per_psu = np.zeros((int(psu.max(initial=-1)) + 1, counts.shape[1]))
        np.add.at(per_psu, psu, counts)
        stratum = np.zeros(len(per_psu), dtype=np.int64)
        stratum[psu] = design.stratum[parts.cell[keep]]
        per_h = np.zeros((len(design.n_h), counts.shape[1]))
        np.add.at(per_h, stratum, per_psu > 0)
        psus = (per_psu > 0).sum(axis=0)
    df = psus - (per_h > 0).sum(axis=0)
    return float(df[0]), df[1:]


def _one(design: CellDesign, inside: np.ndarray, extra: list[tuple[int, int]]) -> dict:
    """Totals, rates and (design and SRS) covariances of one domain."""
    layout, cols = design.layout, design.cols
    q = layout.n_items
    totals = domain_totals(design, inside)
    cov, ssp = totals_cov(design, inside, with_scale=True)
    ys, xs = np.arange(q), q + np.arange(q)
    rate, cq, has = ratio_cov(totals, cov, ys, xs)
    _, scale, _ = ratio_cov(totals, ssp, ys, xs)
    g2 = design.gfac[inside] ** 2
    srs = unpack(layout, g2 @ design.stats[inside, cols.pairs], g2 @ design.stats[inside, cols.s1sq])
    n = design.stats[inside, cols.n].sum()
    factor = n / (n - 1) if n > 1 else np.nan
    _, cq_srs, _ = ratio_cov(totals, srs * factor, ys, xs)
    ey = np.array([y for y, _ in extra], dtype=np.int64)
    ex = np.array([x for _, x in extra], dtype=np.int64)
    e_rate, e_cov, _ = ratio_cov(totals, cov, ey, ex)
    _, e_scale, _ = ratio_cov(totals, ssp, ey, ex)
    e_var = np.diagonal(e_cov).copy()
    e_var[e_var <= np.maximum(1e-12 * np.diagonal(e_scale), ZERO_VAR)] = 0.0
    domain_df, var_df = _degf(design, inside)
    return {
        "rate": rate,
        "cov": cq,
        "scale": np.sqrt(np.clip(np.diagonal(scale), 0.0, None)),
        "cov_srs": cq_srs,
        "has": has,
        "extra": (e_rate, e_var),
        "df": domain_df,
        "var_df": var_df,
    }


def _lonely(design: CellDesign, inside: np.ndarray) -> bool:
    """Whether a stratum of the domain has a single PSU in the whole design."""
    return bool((design.n_h[np.unique(design.stratum[inside])] == 1).any())


def estimate_domains(design: CellDesign, masks: list[np.ndarray], instrument: Instrument) -> Estimates:
    """Every estimate of every domain (``masks``: one boolean mask over the cells per domain)."""
    layout, cols = design.layout, design.cols
    q = layout.n_items
    rates = layout.rates()
    extra_codes = tuple(name for name in rates if name not in layout.items)
    extra = [rates[name] for name in extra_codes]
    n_dom, n_extra = len(masks), len(extra)
    rate, cov, cov_srs = np.full((n_dom, q), np.nan), np.zeros((n_dom, q, q)), np.zeros((n_dom, q, q))
    sd_scale = np.zeros((n_dom, q))
    df = np.full((n_dom, q + 1), np.nan)
    e_value, e_var, e_df = (np.full((n_dom, n_extra), np.nan) for _ in range(3))
    var_df = np.full((n_dom, layout.n_vars), np.nan)
    lonely = np.zeros(n_dom, dtype=bool)
    for d, inside in enumerate(masks):
        if not inside.any():
            continue
        one = _one(design, inside, extra)
        rate[d], cov[d], cov_srs[d] = one["rate"], one["cov"], one["cov_srs"]
        sd_scale[d] = one["scale"]
        var_df[d] = one["var_df"]
        df[d, 0] = one["df"]
        e_value[d], e_var[d] = one["extra"]
        lonely[d] = _lonely(design, inside)
    sums = np.stack([design.stats[m].sum(axis=0) if m.any() else np.zeros(cols.width) for m in masks])
    s0 = sums[:, cols.s0]
    item_n = s0[:, q : 2 * q]
    e_n = s0[:, [x for _, x in extra]] if extra else np.zeros((n_dom, 0))
    e_df = var_df[:, [x for _, x in extra]] if extra else e_df
    total_rows = design.stats[:, cols.n].sum()
    chain = chain_coefficients(~np.isnan(rate), instrument)
    value = np.einsum("gmq,gq->gm", chain.coef, np.nan_to_num(rate))
    var = np.einsum("gmq,gqr,gmr->gm", chain.coef, cov, chain.coef)
    var_srs = np.einsum("gmq,gqr,gmr->gm", chain.coef, cov_srs, chain.coef)
    var = np.where(var <= _rounding(chain.coef, sd_scale), 0.0, var)
    n_items = np.rint(item_n).astype(np.int64)
    counts = np.rint(sums[:, cols.counts]).astype(np.int64)
    m_df = np.concatenate([var_df[:, q : 2 * q], np.repeat(df[:, :1], counts.shape[1], axis=1)], axis=1)
    rows = np.concatenate([item_n, np.full(counts.shape, np.nan)], axis=1)
    if design.poststratified:  # R keeps every row of a calibrated design in a subset
        rows[:, :q] = np.where(item_n > 0, total_rows, 0)
        e_rows = np.where(e_n > 0, total_rows, 0)
    else:
        e_rows = e_n
    return Estimates(
        codes=estimate_codes(instrument),
        value=np.where(chain.defined, value, np.nan),
        var=np.where(chain.defined, var, np.nan),
        var_srs=np.where(chain.defined, var_srs, np.nan),
        n=np.concatenate([n_items, counts], axis=1),
        df=np.where(chain.defined, m_df, np.nan),
        rows=rows,
        reasons=chain.reasons,
        lonely=lonely,
        size=np.rint(sums[:, cols.n]).astype(np.int64),
        domain_df=df[:, 0],
        extra_codes=extra_codes,
        extra_value=e_value,
        extra_var=np.where(np.isnan(e_value), np.nan, e_var),
        extra_n=np.rint(e_n).astype(np.int64),
        extra_df=e_df,
        extra_rows=e_rows,
        tables=sums[:, cols.tables],
        alpha=sums[:, cols.alpha],
    )


def _rounding(coef: np.ndarray, sd_scale: np.ndarray) -> np.ndarray:
    """Variances below this are rounding of a true 0 (all scores alike within strata, or items
    moving in lockstep): 1e-12 of ``(Σ_q |c_q|·s_q)²``, ``s_q²`` the uncentred sum of squares of
    item q's scores — centring cancels their leading digits — and at least ``ZERO_VAR`` (an SE
    under 1e-6 percentage points is rounding: it would take ~10¹⁶ responses to be real)."""
    return np.maximum(1e-12 * np.einsum("gmq,gq->gm", np.abs(coef), sd_scale) ** 2, ZERO_VAR)
