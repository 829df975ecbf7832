"""Benchmark the analysis (SPEC §4): index JSON of 1,000,000 responses vs parsing the file.

    python bench/analysis.py [--rows 1000000] [--repeat 2]

Writes synthetic responses in the interchange format to bench/out/ (once), then times, each in
a fresh interpreter, ``pandas.read_csv`` of the file, ``pyarrow.csv.read_csv`` of it (when
pyarrow is installed) and ``python -m analysis compute FILE --by unit_code --strata
unit_code,point_code --weight weight --format json`` (the app's design), --repeat times
interleaved, and prints the fastest of each with the peak RSS of each child.

Peak memory is each child's own ``getrusage(RUSAGE_SELF)``; this process never loads the data
(a forked child inherits its parent's high-water mark through exec, so a parent that had read
the file was the floor of every child's peak — the earlier figure measured that).
Targets: compute ≤ 3 × pandas read time, peak ≤ 3 GB.
"""

from __future__ import annotations

import argparse
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
    "--strata",
    "unit_code,point_code",
    "--weight",
    "weight",
    "--format",
    "json",
]

READERS = {
    "pandas.read_csv": "import pandas as pd; pd.read_csv(PATH)",
    "pyarrow.csv.read_csv": "import pyarrow.csv as pc; pc.read_csv(PATH)",
}


def _python(code: str) -> list[str]:
    """A fresh interpreter running ``code`` and printing its own time and peak RSS (KB)."""
    wrapped = (
        "import resource, sys, time\n"
        "t0 = time.perf_counter()\n"
        f"{code}\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "sys.stderr.write(f'@@ {time.perf_counter() - t0} {peak}\\n')\n"
    )
    return [sys.executable, "-c", wrapped]


def _measure(cmd: list[str]) -> tuple[float, float, bytes]:
    """Seconds inside the child (imports excluded), its own peak RSS in MB, and its output."""
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
    if done.returncode != 0:
        sys.exit(f"benchmark child failed: {done.stderr.decode()[-2000:]}")
    tail = [line for line in done.stderr.decode().splitlines() if line.startswith("@@ ")][-1].split()
    return float(tail[1]), float(tail[2]) / 1024, done.stdout


def _compute_cmd(path: Path) -> list[str]:
    code = (  # no BLAS thread setting: the analysis sets what it needs, as a user would run it
        "from analysis.cli import main\n"
        f"assert main([{COMMAND[0]!r}, {str(path)!r}, *{COMMAND[1:]!r}]) == 0"
    )
    return _python(code)


def _available(module: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest counts")
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"responses-{args.rows}.csv"
    if args.generate:  # in a child: this process stays small; a stopped run leaves no half file
        part = path.with_suffix(".part")
        write_csv(synthetic_responses(args.rows), part)
        part.replace(path)
        return
    if not path.exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--generate"], check=True)
        print(f"generated {args.rows:,} responses in {time.perf_counter() - t0:.1f} s -> {path}")
    readers = {name: code for name, code in READERS.items() if _available(name.split(".")[0])}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in [*readers, "analysis compute"]}
    output = b""
    for _ in range(args.repeat):  # interleaved, so a busy moment hits all alike
        for name, code in readers.items():
            runs[name].append(_measure(_python(code.replace("PATH", repr(str(path)))))[:2])
        seconds, peak, output = _measure(_compute_cmd(path))
        runs["analysis compute"].append((seconds, peak))
    best = {name: min(r[0] for r in values) for name, values in runs.items()}
    peaks = {name: max(r[1] for r in values) for name, values in runs.items()}
    print(
        f"rows                  {args.rows:,}   (fastest of {args.repeat} runs each, in fresh interpreters)"
    )
    for name in runs:
        times = ", ".join(f"{r[0]:.2f}" for r in runs[name])
        print(f"{name:<22}{best[name]:8.2f} s   peak {peaks[name]:6.0f} MB   runs: {times}")
    print(f"                      python -m analysis {COMMAND[0]} FILE {' '.join(COMMAND[1:])}")
    ratio = best["analysis compute"] / best["pandas.read_csv"]
    print(f"ratio to pandas       {ratio:8.2f} x   (target ≤ 3)   {'OK' if ratio <= 3 else 'MISSED'}")
    if "pyarrow.csv.read_csv" in best:
        print(f"ratio to pyarrow      {best['analysis compute'] / best['pyarrow.csv.read_csv']:8.2f} x")
    peak = peaks["analysis compute"]
    print(f"peak RSS of compute   {peak:8.0f} MB  (target ≤ 3072) {'OK' if peak <= 3072 else 'MISSED'}")
    print(f"json size             {len(output) / 1024:8.0f} KB")


if __name__ == "__main__":
    main()
