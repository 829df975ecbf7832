"""Coverage of the 95 % intervals a unit sees (seeded simulation, a few minutes on 2 cores).

    python bench/coverage.py [--reps 300] [--per-point 30] [--seed 2026] [--points 2,3,5,20]
                             [--design strata,clusters]

Each scenario simulates ``--reps`` units of K counters (K = 2, 3, 5, 20) with ``--per-point``
responses each. Answers are satisfied with probability ``expit(logit(p) + u_k + v_i)``: a
counter effect u_k (intra-counter correlation ICC = 0.02 or 0.10 on the latent scale) and a
respondent effect v_i (sd 1: a person's answers move together); p = 80 % or 97 %. Every
respondent answers all service criteria and the four items of one of nine policy groups.

Two designs, computed exactly as the app and ``python -m analysis`` do (each replication is a
domain of one run, counters nested in it):

* **counters as strata** (the app's default: every counter of a unit is surveyed). The unit's
  counters are its population, so the truth is the mean over *these* counters (their effects
  drawn once per replication) — ``strata = counter``;
* **counters as clusters** (counters sampled from many): the truth is the mean over counters
  in general — ``cluster = counter``, t on K − 1 degrees of freedom (no interval under 2 df).

Printed per scenario: coverage of the unit SIPAS interval (t on the design df) and of the
item B1.1 interval (Korn–Graubard), their mean widths, and the share of units given no
interval. A coverage's own standard error is about sqrt(0.95·0.05/reps) (1.3 pp at 300).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.compute import compute_indices  # noqa: E402
from analysis.instrument import load_instrument  # noqa: E402

INSTRUMENT = load_instrument("sipas-2025")
RESPONDENT_SD = 1.0
LOGISTIC_VAR = np.pi**2 / 3
NODES, WEIGHTS = np.polynomial.hermite_e.hermegauss(40)  # ∫ f(x) φ(x) dx = Σ w f(x) / sqrt(2π)


def _expected(logit: np.ndarray, sd: float) -> np.ndarray:
    """E[expit(logit + sd·Z)] for Z ~ N(0, 1), by Gauss–Hermite quadrature."""
    values = special.expit(np.asarray(logit)[..., None] + sd * NODES)
    return values @ WEIGHTS / np.sqrt(2 * np.pi)


def _point_sd(icc: float) -> float:
    """The counter effect's sd giving this ICC on the latent scale."""
    return float(np.sqrt(icc * (RESPONDENT_SD**2 + LOGISTIC_VAR) / (1 - icc)))


def simulate(points: int, icc: float, p: float, reps: int, per_point: int, rng) -> tuple[pd.DataFrame, dict]:
    """Responses of ``reps`` units (column ``rep``) and the truths of each design."""
    n = reps * points * per_point
    rep = np.repeat(np.arange(reps), points * per_point)
    point = np.repeat(np.arange(reps * points), per_point)
    u = rng.normal(0.0, _point_sd(icc), reps * points)
    v = rng.normal(0.0, RESPONDENT_SD, n)
    latent = special.logit(p) + u[point] + v
    data: dict[str, object] = {
        "response_id": np.arange(n).astype(str),
        "submitted_at": pd.Timestamp("2026-06-01 09:00"),
        "unit_code": np.char.add("U", rep.astype(str)),
        "point_code": np.char.add("P", point.astype(str)),
        "channel": "qr",
        "S1": 2,
        "B5.0": 1,
        "B0": np.where(rng.random(n) < special.expit(latent), 5, 2),
    }
    group = rng.integers(1, 10, n)
    for item in INSTRUMENT.index_items:
        answer = np.where(rng.random(n) < special.expit(latent), 4, 2).astype(float)
        if item.group is not None:
            answer[group != int(item.group[1:])] = np.nan
        data[item.code] = pd.array(np.where(np.isnan(answer), None, answer), dtype="Int16")
    frame = pd.DataFrame(data)
    frame["rep"] = rep.astype(str)
    per_counter = _expected(special.logit(p) + u, RESPONDENT_SD).reshape(reps, points)
    sd = _point_sd(icc)
    truths = {
        "strata": 100 * per_counter.mean(axis=1),  # the unit's own counters, equal volumes
        "clusters": np.full(reps, 100 * float(_expected(special.logit(p), np.hypot(RESPONDENT_SD, sd)))),
    }
    return frame, truths


def _summary(result, truth: np.ndarray, pick) -> tuple[float, float, float]:
    """Coverage and mean width over the units with an interval, and the share without one."""
    hits, widths, none = [], [], 0
    for g in result.groups[1:]:
        e = pick(g)
        if e.low is None:
            none += 1
            continue
        t = truth[int(g.key["rep"])]
        hits.append(e.low <= t <= e.high)
        widths.append(e.high - e.low)
    n = len(result.groups) - 1
    return (float(np.mean(hits)) if hits else np.nan, float(np.mean(widths)) if widths else np.nan, none / n)


POINTS = (2, 3, 5, 20)
DESIGNS = {
    "strata": {"strata": ["rep", "point_code"]},
    "clusters": {"strata": "rep", "cluster": "point_code"},
}


def scenario(
    points: int, icc: float, p: float, reps: int, per_point: int, seed: int, designs: tuple[str, ...]
) -> list[str]:
    rng = np.random.default_rng(seed)
    frame, truths = simulate(points, icc, p, reps, per_point, rng)
    lines = []
    for name in designs:
        design = DESIGNS[name]
        result = compute_indices(frame, INSTRUMENT, by="rep", include_flagged=True, **design)
        sipas = _summary(result, truths[name], lambda g: g.sipas)
        item = _summary(result, truths[name], lambda g: g.items["B1.1"])
        head = f"{points:>3} {icc:5.2f} {100 * p:4.0f}%  {name:<8} "
        lines.append(head + f"{_row(sipas)}   {_row(item)}")
    return lines


def _row(summary: tuple[float, float, float]) -> str:
    cover, width, none = summary
    return f"{_pct(cover)} {width:7.2f} {_pct(none)}"


def _pct(x: float) -> str:
    return "     —" if np.isnan(x) else f"{100 * x:5.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--per-point", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--points", default="2,3,5,20", help="counters per unit, comma-separated")
    parser.add_argument("--design", default="strata,clusters", help="strata (the app's), clusters")
    args = parser.parse_args()
    wanted = [int(k) for k in args.points.split(",")]
    designs = tuple(d for d in args.design.split(",") if d)
    bad_points = not wanted or any(k not in POINTS for k in wanted)
    if bad_points or not designs or any(d not in DESIGNS for d in designs):
        parser.error("--points takes some of 2,3,5,20; --design takes strata and/or clusters")
    start = time.perf_counter()
    print(f"units per scenario {args.reps}, responses per counter {args.per_point}, seed {args.seed}")
    print("  K   ICC     p  design    SIPAS: cover  width  no-CI   B1.1: cover  width  no-CI")
    seed = args.seed
    for points in POINTS:
        for icc in (0.02, 0.10):
            for p in (0.80, 0.97):
                seed += 1  # each scenario keeps its seed whichever scenarios are chosen
                if points not in wanted:
                    continue
                for line in scenario(points, icc, p, args.reps, args.per_point, seed, designs):
                    print(line, flush=True)
    print(f"{time.perf_counter() - start:.0f} s; target 93–97 % for SIPAS with ≥ 3 counters and for items")


if __name__ == "__main__":
    main()
