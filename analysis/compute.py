"""The entry point: responses → every index of every group, with uncertainty (METHOD §2-§4, §6).

Responses become cells (:mod:`analysis.cells`) keyed by the groups, the strata, the
post-strata and the quality label; without clusters every estimate comes from those cells
alone — the same algebra as :func:`analysis.cells.compute_from_cells`. With clusters the
cluster totals within each cell are added (PSU totals), and the variance is taken over them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.answers import rating_answers
from analysis.cells import FLAGS_KEY, check_weights, key_frame, sums_of
from analysis.cellsum import columns_of
from analysis.errors import AnalysisError
from analysis.groups import PERIODS
from analysis.instrument import Instrument
from analysis.layout import layout_of
from analysis.overlap import BACKGROUND_ROWS, background
from analysis.quality import device_codes, flags_with_answers
from analysis.reference import BASELINE, NATIONAL
from analysis.results import IndexResult
from analysis.run import Options, Parts, excluded_labels, run

__all__ = ["COUNTER_STRATA", "compute_indices", "counter_design"]

#: A counter's identity: counter codes repeat across units (Q01 …), so the unit is part of it.
COUNTER_STRATA = ("unit_code", "point_code")


def counter_design(counts: pd.DataFrame | None = None) -> dict[str, object]:
    """The design of the web app (METHOD §6): every counter of a unit is surveyed, so counters
    are strata (``svydesign(ids = ~1, strata = ~counter)``), post-stratified to dossier counts
    per counter × month when they exist (``postStratify(design, ~counter + month, counts)``).

    ``counts`` has the columns ``unit_code``, ``point_code``, ``month`` and ``dossiers``. Use it
    as keyword arguments of :func:`compute_indices` or
    :func:`analysis.cells.compute_from_cells`:

    >>> compute_indices(df, ins, by="unit_code", **counter_design(counts))   # doctest: +SKIP
    """
    return {"strata": list(COUNTER_STRATA), "counts": counts}


def _as_tuple(names: str | Sequence[str] | None) -> tuple[str, ...]:
    if names is None:
        return ()
    return (names,) if isinstance(names, str) else tuple(names)


def _check(df, instrument, confidence, columns, references) -> None:
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence: {confidence} must be between 0 and 1")
    for option, value in references.items():
        if not math.isfinite(value):
            raise AnalysisError(f"{option}: {value} is not a finite number")
    for role, names in columns.items():
        for name in names:
            if name not in df:
                raise AnalysisError(f"column {name}: no such column (given as {role})")
    missing = [i.code for i in instrument.index_items if i.code not in df]
    if missing:
        raise AnalysisError(f"column {missing[0]}: index item missing from the responses")


def _scaled(w: np.ndarray) -> np.ndarray:
    """Weights divided by the largest: rates, SEs and post-stratification do not change under a
    common factor, and squares of huge finite weights (1e307) no longer overflow."""
    top = w.max(initial=0.0)
    return w / top if top > 0 else w


def psu_codes(df: pd.DataFrame, keys: pd.DataFrame, strata: Sequence[str], cluster: str) -> np.ndarray:
    """A PSU code per response: clusters nested in strata (R ``nest = TRUE``), and a response
    with no cluster value its own PSU."""
    values = df[cluster]
    codes = pd.factorize(values, sort=True)[0].astype(np.int64)
    own = (values.isna() | (values.astype("str") == "")).to_numpy()
    codes = np.where(own, codes.max(initial=0) + 1 + np.arange(len(df)), codes)
    stratum = np.zeros(len(df), dtype=np.int64)
    if strata:
        stratum = pd.factorize(pd.MultiIndex.from_frame(keys[list(strata)]))[0].astype(np.int64)
    return pd.factorize(stratum * (codes.max(initial=0) + 1) + codes)[0].astype(np.int64)


def reference_tables(
    ref: pd.DataFrame, instrument: Instrument, include_flagged: bool, opening_hours: Mapping[str, str] | None
) -> np.ndarray:
    """The summed item × outcome tables of reference responses (quality-flagged left out as in
    the run), for the importances of small domains."""
    missing = [i.code for i in instrument.index_items if i.code not in ref]
    if missing:
        raise AnalysisError(f"column {missing[0]}: index item missing from the responses")
    layout = layout_of(instrument)
    answers = rating_answers(ref, instrument)
    flags = flags_with_answers(ref, answers, opening_hours)
    keys, stats, _, _ = sums_of(ref, answers, layout, key_frame(ref, (), flags), np.ones(len(ref)))
    keep = np.ones(len(keys), bool) if include_flagged else ~excluded_labels(keys[FLAGS_KEY])
    return stats[keep][:, columns_of(layout).tables].sum(axis=0)


def compute_indices(
    df: pd.DataFrame,
    instrument: Instrument,
    *,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    cluster: str | None = None,
    strata: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    baseline: float = BASELINE,
    national: float = NATIONAL,
    include_flagged: bool = False,
    counts: pd.DataFrame | None = None,
    opening_hours: Mapping[str, str] | None = None,
    importance_from: pd.DataFrame | None = None,
) -> IndexResult:
    """SIPAS, sub-indices, elements and item rates with design-based intervals, overall and per group.

    Parameters
    ----------
    df : DataFrame
        Responses in the interchange format (from ``read_responses`` / ``validate_frame``).
    by : column name(s), optional
        Groups, estimated as **domains** of the design (R ``svyby``); ``day``, ``month`` and
        ``quarter`` are derived from ``submitted_at``.
    weight, cluster, strata : column names, optional
        Design: weights (default 1), primary sampling units (default: each response), strata
        (one column or several, combined; default none). Clusters are nested in strata.
    counts : DataFrame, optional
        Dossier counts (cell columns + ``dossiers``): the weights are post-stratified to them
        (R ``postStratify``), with its variance. :func:`counter_design` gives the app's design.
    confidence : float
        Confidence level of the intervals (default 0.95).
    baseline, national : float
        Reference figures in percent (default 81.51, Lai Châu 2024, and 83.94, national 2024).
    include_flagged : bool
        Keep every response (default: leave out those with a quality flag other than
        ``straightliner``, count them, and show the headline indices with them beside).
    opening_hours : mapping point → text, optional
        Opening hours per service point for the ``after_hours`` flag.
    importance_from : DataFrame, optional
        Responses whose item-B0 correlations serve any domain with fewer than 100 responses,
        e.g. the whole province for a unit report (METHOD §4); default: the whole selection.

    Returns
    -------
    IndexResult
        Group ``{}`` (the whole selection) first, then each group in key order, including
        groups whose responses were all left out (null values, flag ``all_excluded``).

    Raises
    ------
    AnalysisError
        A named column is missing, the confidence is not in (0, 1), the baseline or national
        figure is not finite, a weight is negative or not finite, or
        (DataError) a post-stratum has responses but no dossier count.

    Examples
    --------
    >>> result = compute_indices(df, ins, by="unit_code", strata="point_code")  # doctest: +SKIP
    >>> result.group(unit_code="SNV").sipas.confidence_interval()  # doctest: +SKIP
    ConfidenceInterval(low=82.04, high=86.36)

    Notes
    -----
    ``S_q = 100 Σ w·sat / Σ w·valid``; each index ``I = Σ c_q S_q`` (METHOD §2) with
    ``Var(I) = cᵀ V c`` and ``V`` the Taylor-linearised covariance of the rates; intervals on
    the design's degrees of freedom (docs/statistics.md has every rule and its R equivalent).
    """
    by_cols, strata_cols = _as_tuple(by), _as_tuple(strata)
    count_cols = () if counts is None else tuple(c for c in counts.columns if c != "dossiers")
    columns = {
        "weight": _as_tuple(weight),
        "cluster": _as_tuple(cluster),
        "strata": strata_cols,
        "counts": tuple(c for c in count_cols if c not in PERIODS),
    }
    _check(df, instrument, confidence, columns, {"baseline": baseline, "national": national})
    layout = layout_of(instrument)
    # Hashing a million device ids for the burst rule runs beside the answers' extraction.
    with background(device_codes, df, big=len(df) >= BACKGROUND_ROWS) as devices:
        answers = rating_answers(df, instrument)
        flags = flags_with_answers(df, answers, opening_hours, devices.result())
    w = _scaled(check_weights(df, weight))
    names = tuple(dict.fromkeys([*by_cols, *strata_cols, *count_cols]))
    keys = key_frame(df, names, flags)
    psu = psu_codes(df, keys, strata_cols, cluster) if cluster else None
    uniques, stats, _, found = sums_of(df, answers, layout, keys, w, psu)
    parts = None if found is None else Parts(*found)
    reference = (
        None
        if importance_from is None
        else reference_tables(importance_from, instrument, include_flagged, opening_hours)
    )
    design = {
        "weight": weight,
        "cluster": cluster,
        "strata": "+".join(strata_cols) or None,
        "poststrata": "+".join(count_cols) or None,
        "lonely_psu": "adjust",
    }
    options = Options(
        by_cols, strata_cols, counts, confidence, baseline, national, include_flagged, reference, design
    )
    return run(instrument, layout, uniques, stats, parts, options)
