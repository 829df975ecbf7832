"""Benchmark the analysis (SPEC §4): index JSON by unit with clusters and weights vs pandas.read_csv.

    python bench/analysis.py [--rows 1000000]

Writes synthetic responses in the interchange format to bench/out/, times ``pandas.read_csv`` of
the file and ``python -m analysis compute FILE --by unit_code --cluster point_code --weight weight
--format json`` (in a subprocess, whose peak RSS is read with getrusage), each --repeat times
interleaved, and prints the fastest of each (the machine may be shared).
Targets: compute ≤ 3 × read time, peak ≤ 3 GB.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.instrument import load_instrument  # noqa: E402
from analysis.interchange import columns  # noqa: E402

OUT = ROOT / "bench" / "out"


def _sat5(rng: np.random.Generator, n: int, p_sat: np.ndarray) -> np.ndarray:
    """Answers 1-5 with a per-row satisfied probability, 9 for 4 %, empty for 3 %."""
    satisfied = rng.random(n) < p_sat
    low = rng.integers(1, 4, n)
    high = rng.integers(4, 6, n)
    out = np.where(satisfied, high, low).astype(float)
    u = rng.random(n)
    out[u < 0.04] = 9
    out[(u >= 0.04) & (u < 0.07)] = np.nan
    return out


def synthetic_responses(rows: int, units: int = 12, points: int = 3, seed: int = 2025) -> pd.DataFrame:
    """Interchange-format responses: every index item, `units` units of `points` points, weights."""
    ins = load_instrument("sipas-2025")
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, units, rows)
    point = unit * points + rng.integers(0, points, rows)
    base = 0.55 + 0.35 * (unit / max(units - 1, 1)) + rng.normal(0, 0.08, rows)
    p_sat = np.clip(base + 0.05 * (point % points), 0.05, 0.97)
    data: dict[str, object] = {
        "response_id": np.char.add("r", np.arange(rows).astype(str)),
        "submitted_at": (
            pd.Timestamp("2025-07-01 07:00") + pd.to_timedelta(rng.integers(0, 180 * 86400, rows), unit="s")
        ).strftime("%Y-%m-%dT%H:%M:%S"),
        "unit_code": np.char.add("U", (unit + 1).astype(str)),
        "point_code": np.char.add("P", (point + 1).astype(str)),
        "channel": rng.choice(["qr", "link", "paper", "kiosk"], rows, p=[0.7, 0.1, 0.15, 0.05]),
        "weight": np.round(rng.uniform(0.5, 3.0, rows), 3),
    }
    s1 = rng.choice([1, 2, 3], rows, p=[0.5, 0.35, 0.15])
    b50 = rng.choice([1, 2], rows, p=[0.3, 0.7])
    data["S1"], data["B5.0"] = s1, b50
    for item in ins.index_items:
        if item.group is None:
            answers = _sat5(rng, rows, p_sat)
            if item.when is not None:
                screen = s1 if item.when.item == "S1" else b50
                answers[~np.isin(screen, sorted(item.when.values))] = np.nan
            data[item.code] = answers
    data["B0"] = _sat5(rng, rows, p_sat)
    group = rng.integers(1, 10, rows)
    for item in ins.index_items:
        if item.group is not None:
            answers = _sat5(rng, rows, p_sat - 0.05)
            answers[group != int(item.group[1:])] = np.nan
            data[item.code] = answers
    data["E1"] = rng.choice(["1;3", "2", "3;4", "", "5;6", "2;6"], rows)
    data["P1"] = rng.integers(1, 4, rows)
    data["P2"] = rng.integers(1, 5, rows)
    data["comment"] = np.where(rng.random(rows) < 0.02, "Cần thêm ghế ngồi", "")
    data["duration_s"] = rng.integers(25, 600, rows)
    data["device_hash"] = np.char.add("d", rng.integers(0, rows, rows).astype(str))
    data["flags"] = ""
    frame = pd.DataFrame(data)
    return frame[[c for c in columns(ins) if c in frame]]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Answers as integers, empty cells empty."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind == "f" and col != "weight":
            out[col] = out[col].astype("Int16")
    out.to_csv(path, index=False)


COMMAND = [
    "compute",
    "--by",
    "unit_code",
    "--cluster",
    "point_code",
    "--weight",
    "weight",
    "--format",
    "json",
]


def _time_compute(path: Path) -> tuple[float, bytes]:
    """Wall time of the documented command in a fresh interpreter (imports included)."""
    cmd = [sys.executable, "-m", "analysis", COMMAND[0], str(path), *COMMAND[1:]]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"compute failed: {done.stderr.decode()}")
    return seconds, done.stdout


def _time_read(path: Path) -> float:
    t0 = time.perf_counter()
    pd.read_csv(path)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"responses-{args.rows}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        write_csv(synthetic_responses(args.rows), path)
        print(f"generated {args.rows:,} responses in {time.perf_counter() - t0:.1f} s -> {path}")
    reads, computes = [], []
    for _ in range(args.repeat):  # interleaved, so a busy moment hits both alike
        reads.append(_time_read(path))
        seconds, output = _time_compute(path)
        computes.append(seconds)
    read, compute = min(reads), min(computes)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ratio = compute / read
    print(f"rows            {args.rows:,}   (fastest of {args.repeat} runs each)")
    print(f"pandas.read_csv {read:8.2f} s   runs: {', '.join(f'{t:.2f}' for t in reads)}")
    print(f"analysis compute{compute:8.2f} s   runs: {', '.join(f'{t:.2f}' for t in computes)}")
    print(f"                python -m analysis {COMMAND[0]} FILE {' '.join(COMMAND[1:])}")
    print(f"ratio           {ratio:8.2f} x   (target ≤ 3)   {'OK' if ratio <= 3 else 'MISSED'}")
    print(f"peak RSS        {peak_mb:8.0f} MB  (target ≤ 3072) {'OK' if peak_mb <= 3072 else 'MISSED'}")
    print(f"json size       {len(output) / 1024:8.0f} KB")


if __name__ == "__main__":
    main()
