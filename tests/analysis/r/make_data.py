"""Write the small files the R references read (deterministic; rerun only to change them).

.venv/bin/python tests/analysis/r/make_data.py            # survey.csv and counts.csv
.venv/bin/python tests/analysis/r/make_data.py --counts   # counts.csv from the survey.csv there

counts.csv holds dossier counts per counter × month for post-stratification: 7 dossiers per
response of the cell plus 0-4 more, so the weights differ between cells.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
DATA = HERE.parent / "data"


def write_counts() -> None:
    """counts.csv (point_code, month, dossiers) from survey.csv."""
    survey = pd.read_csv(DATA / "survey.csv", dtype={"point_code": "str"})
    survey["month"] = survey["submitted_at"].str[:7]
    counts = survey.groupby(["point_code", "month"]).size().rename("dossiers").reset_index()
    counts["dossiers"] = counts["dossiers"] * 7 + pd.RangeIndex(len(counts)) % 5
    counts.to_csv(DATA / "counts.csv", index=False)


if __name__ == "__main__":
    if "--counts" not in sys.argv:
        spec = importlib.util.spec_from_file_location("bench_analysis", ROOT / "bench" / "analysis.py")
        bench = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench)
        frame = bench.synthetic_responses(240, units=4, points=3, seed=7)
        bench.write_csv(frame, DATA / "survey.csv")
    write_counts()
