"""Post-stratification to service volume (METHOD §4, §6), on cells.

Given dossier counts ``N_p`` per post-stratum p (e.g. counter × month, imported from the
one-stop system), every response of p is weighted by ``g_p = N_p / Σ_p w`` (with design
weights 1: ``N_p / n_p``) — R ``postStratify(design, ~cells, population)``. The variance removes
each post-stratum's mean score (:mod:`analysis.design`), as R does; treating ``N_p / n_p`` as
fixed weights would overstate it. A post-stratum with responses but no count is an error; one
with a count but no responses is a coverage flag (``no_responses:…``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.cellsum import Columns
from analysis.errors import AnalysisError, DataError
from analysis.groups import derived_key
from analysis.weighting import cell_label, point_rates

__all__ = ["Weighting", "poststrata"]


@dataclass(frozen=True)
class Weighting:
    """A table per post-stratum (cell columns, dossiers, responses, response rate, flag), its
    roll-up per service point (None unless ``point_code`` is a cell column), coverage flags."""

    cells: pd.DataFrame
    flags: tuple[str, ...]
    points: pd.DataFrame | None = None


def poststrata(
    keys: pd.DataFrame, stats: np.ndarray, cols: Columns, counts: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray, Weighting | None]:
    """Post-stratum per cell (-1 without counts), the factor ``g`` per cell, and the tables.

    Raises
    ------
    DataError
        If a post-stratum has responses but no count (or a count of 0).
    AnalysisError
        If a count column is not a cell key.
    """
    if counts is None:
        return np.full(len(keys), -1, dtype=np.int64), np.ones(len(keys)), None
    names = [c for c in counts.columns if c != "dossiers"]
    table = {}
    for name in names:
        series = derived_key(keys, name)
        if series is None:
            raise AnalysisError(f"counts: column {name} is not a cell key ({', '.join(keys.columns)})")
        table[name] = series.astype("str").to_numpy(dtype=object)
    cell_keys = pd.DataFrame(table)
    cell_keys["responses"] = stats[:, cols.n]
    cell_keys["weight"] = stats[:, cols.sw]
    per = cell_keys.groupby(names, sort=True)[["responses", "weight"]].sum().reset_index()
    given = counts.astype({c: "str" for c in names})
    merged = given.merge(per, on=names, how="outer")
    merged["responses"] = merged["responses"].fillna(0).round().astype("int64")
    missing = merged["dossiers"].isna() | ((merged["dossiers"] == 0) & (merged["responses"] > 0))
    if missing.any():
        row = merged[missing].iloc[0]
        raise DataError(
            f"counts: no dossier count for cell {cell_label(row, names)} ({row['responses']} responses)"
        )
    merged = merged.reset_index(drop=True)
    index = pd.MultiIndex.from_frame(merged[names])
    post = index.get_indexer(pd.MultiIndex.from_frame(cell_keys[names])).astype(np.int64)
    weight = merged["weight"].fillna(0).to_numpy(dtype=float)
    factor = np.divide(
        merged["dossiers"].to_numpy(dtype=float), weight, out=np.zeros(len(weight)), where=weight > 0
    )
    out = merged[[*names, "dossiers", "responses"]].copy()
    out["response_rate"] = np.where(out["dossiers"] > 0, out["responses"] / out["dossiers"], np.nan)
    empty = out["responses"] == 0
    out["flag"] = np.where(empty, "no_responses", "")
    flags = tuple(f"no_responses:{cell_label(row, names)}" for _, row in out[empty].iterrows())
    return post, factor[post], Weighting(out, flags, point_rates(out, names))
