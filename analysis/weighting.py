"""Post-stratification to service volume (METHOD §4): ``w_r = N_c / n_c`` per cell.

A cell is a combination of the count file's cell columns (e.g. ``point_code`` × ``month``);
``N_c`` is its dossier count from the one-stop system and ``n_c`` the responses in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.groups import key_series

__all__ = ["Weighting", "poststratify", "read_counts"]


@dataclass(frozen=True)
class Weighting:
    """Weights per response, a table per cell (responses, dossiers, response rate, flag) and its
    roll-up per service point (``None`` when ``point_code`` is not a cell column)."""

    weights: np.ndarray
    cells: pd.DataFrame
    flags: tuple[str, ...]
    points: pd.DataFrame | None = None


def read_counts(source: str | Path | IO[str]) -> pd.DataFrame:
    """Read a counts CSV (cell columns + ``dossiers``); cells as text, dossiers as numbers.

    Raises
    ------
    DataError
        If ``dossiers`` is missing, not a finite number, negative, or a cell appears twice.
    """
    try:
        raw = pd.read_csv(source, dtype="str", keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"counts: not a readable CSV file ({exc})") from None
    if "dossiers" not in raw or len(raw.columns) < 2:
        raise DataError("counts: row 1, column dossiers: needs cell columns and a 'dossiers' column")
    dossiers = pd.to_numeric(raw["dossiers"].str.strip(), errors="coerce")
    bad = (~np.isfinite(dossiers) | (dossiers < 0)).to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"counts: row {pos + 2}, column dossiers: '{raw['dossiers'].iloc[pos]}' is not a count ≥ 0"
        )
    out = raw.drop(columns="dossiers").apply(lambda c: c.str.strip())
    out["dossiers"] = dossiers.astype("float64")
    dup = out.drop(columns="dossiers").duplicated().to_numpy()
    if dup.any():
        raise DataError(f"counts: row {int(np.flatnonzero(dup)[0]) + 2}: the same cell is listed twice")
    return out


def cell_label(row: pd.Series, cols: list[str]) -> str:
    return ",".join(f"{c}={row[c]}" for c in cols)


def poststratify(frame: pd.DataFrame, counts: pd.DataFrame) -> Weighting:
    """Weights ``N_c / n_c`` for the responses in ``frame`` from dossier counts per cell.

    Raises
    ------
    DataError
        If a cell has responses but no count (or a count of 0).
    """
    cols = [c for c in counts.columns if c != "dossiers"]
    keys = pd.DataFrame({c: key_series(frame, c) for c in cols}, index=frame.index)
    table = counts.astype({c: "str" for c in cols})
    merged = keys.merge(table, on=cols, how="left", validate="many_to_one")
    dossiers = merged["dossiers"].to_numpy(dtype=float)
    cell_n = keys.groupby(cols, sort=True).size().rename("responses").reset_index()
    cells = table.merge(cell_n, on=cols, how="outer").fillna({"responses": 0})
    missing = cells["dossiers"].isna() | ((cells["dossiers"] == 0) & (cells["responses"] > 0))
    if missing.any():
        row = cells[missing].iloc[0]
        raise DataError(
            f"counts: no dossier count for cell {cell_label(row, cols)} ({int(row['responses'])} responses)"
        )
    n_c = keys.groupby(cols, sort=False)[cols[0]].transform("size").to_numpy(dtype=float)
    cells["responses"] = cells["responses"].astype("int64")
    cells["response_rate"] = np.where(cells["dossiers"] > 0, cells["responses"] / cells["dossiers"], np.nan)
    empty = cells["responses"] == 0
    cells["flag"] = np.where(empty, "no_responses", "")
    flags = tuple(f"no_responses:{cell_label(row, cols)}" for _, row in cells[empty].iterrows())
    return Weighting(dossiers / n_c, cells.reset_index(drop=True), flags, point_rates(cells, cols))


def point_rates(cells: pd.DataFrame, cols: list[str]) -> pd.DataFrame | None:
    """Response rate per point = responses / dossiers over its cells (METHOD §4)."""
    if "point_code" not in cols:
        return None
    point = [c for c in ("unit_code", "point_code") if c in cols]
    out = cells.groupby(point, sort=True)[["dossiers", "responses"]].sum().reset_index()
    out["response_rate"] = out["responses"] / out["dossiers"].where(out["dossiers"] > 0)
    out["flag"] = np.where(out["responses"] == 0, "no_responses", "")
    return out
