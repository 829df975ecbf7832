"""``python -m analysis compute RESPONSES.csv …`` (SPEC 3.4): the index JSON, CSV or a table.

Bad input gives one line on stderr and exit code 2; nothing is printed to stdout unless the
whole output was built.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Mapping, Sequence
from typing import NoReturn

from analysis.compute import compute_indices
from analysis.errors import AnalysisError
from analysis.instrument import load_instrument
from analysis.interchange import read_responses
from analysis.reference import BASELINE
from analysis.serialise import to_csv, to_json_dict, to_table
from analysis.weighting import read_counts

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """Usage mistakes as one line on stderr and exit code 2, like every other bad input."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m analysis", description="SIPAS index computation")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("compute", help="compute the indices of an interchange CSV/XLSX")
    p.add_argument("responses")
    p.add_argument("--instrument", default="sipas-2025", help="instrument id or TOML path")
    p.add_argument("--by", help="domain column(s), comma-separated; day, month and quarter are derived")
    p.add_argument("--weight")
    p.add_argument("--cluster")
    p.add_argument("--strata", help="stratum column(s), comma-separated (the app: unit_code,point_code)")
    p.add_argument("--baseline", type=float, default=BASELINE)
    p.add_argument("--confidence", type=float, default=0.95)
    p.add_argument("--format", choices=("json", "csv", "table"), default="json")
    p.add_argument("--include-flagged", action="store_true", help="keep responses with quality flags")
    p.add_argument("--counts", help="dossier counts CSV (cell columns + dossiers) for weighting")
    p.add_argument(
        "--opening-hours", help="JSON file mapping unit_code/point_code (or point_code) to opening-hours text"
    )
    return parser


def _render(args: argparse.Namespace) -> str:
    instrument = load_instrument(args.instrument)
    df = read_responses(args.responses, instrument)
    hours = _opening_hours(args.opening_hours) if args.opening_hours else None
    result = compute_indices(
        df,
        instrument,
        by=args.by.split(",") if args.by else None,
        weight=args.weight,
        cluster=args.cluster,
        strata=args.strata.split(",") if args.strata else None,
        confidence=args.confidence,
        baseline=args.baseline,
        include_flagged=args.include_flagged,
        counts=read_counts(args.counts) if args.counts else None,
        opening_hours=hours,
    )
    if args.format == "json":
        try:  # NaN or Infinity would be invalid JSON: fail instead of printing it
            return json.dumps(to_json_dict(result), ensure_ascii=False, allow_nan=False) + "\n"
        except ValueError as exc:
            raise AnalysisError(f"output: {exc}") from None
    if args.format == "csv":
        buf = io.StringIO()
        to_csv(result, buf)
        return buf.getvalue()
    return to_table(result)


def _opening_hours(path: str) -> Mapping[str, str]:
    """The opening-hours file: a JSON object of point → opening-hours text."""
    try:
        with open(path, encoding="utf-8") as fh:
            hours = json.load(fh)
    except (OSError, ValueError) as exc:
        raise AnalysisError(f"opening hours file {path}: {exc}") from None
    if not isinstance(hours, dict):
        raise AnalysisError(f"opening hours file {path}: must be a JSON object of point → hours text")
    for point, text in hours.items():
        if not isinstance(text, str):
            raise AnalysisError(f"opening hours file {path}: hours of point {point} must be text")
    return hours


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 bad input)."""
    args = _parser().parse_args(argv)
    try:
        text = _render(args)
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0
