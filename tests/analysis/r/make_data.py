"""Write the small survey file the R reference reads (deterministic; rerun only to change it).

.venv/bin/python tests/analysis/r/make_data.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
spec = importlib.util.spec_from_file_location("bench_analysis", ROOT / "bench" / "analysis.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

if __name__ == "__main__":
    frame = bench.synthetic_responses(240, units=4, points=3, seed=7)
    bench.write_csv(frame, HERE.parent / "data" / "survey.csv")
