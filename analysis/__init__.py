"""SIPAS analysis: the instrument and the index computations, pure numpy/pandas/scipy.

This package never imports the web app, Flask or SQLAlchemy; the web app calls it:

>>> ins = load_instrument("sipas-2025")                              # doctest: +SKIP
>>> df = read_responses("responses.csv", ins)                         # doctest: +SKIP
>>> result = compute_indices(df, ins, by="unit_code", strata="point_code", weight="weight")  # doctest: +SKIP
>>> to_json_dict(result)["groups"][0]["sipas"]                        # doctest: +SKIP
"""

from analysis.cells import CellStats, StaleLayoutError, cell_stats, compute_from_cells
from analysis.compute import COUNTER_STRATA, compute_indices, counter_design
from analysis.contrast import Contrast, ContrastEstimate, compare_domains, period_mask
from analysis.errors import AnalysisError, DataError, InstrumentError
from analysis.hours import is_open, parse_opening_hours
from analysis.instrument import Instrument, load_instrument
from analysis.interchange import columns, read_responses, validate_frame, write_responses
from analysis.quality import flag_responses
from analysis.reference import BASELINE, NATIONAL
from analysis.report import difference
from analysis.results import (
    Alpha,
    Comparison,
    Difference,
    Estimate,
    GroupResult,
    ImproveEntry,
    IndexResult,
    Left,
    Priority,
    RankRange,
)
from analysis.serialise import result_frames, to_csv, to_json_dict, to_table
from analysis.weighting import poststratify, read_counts
from analysis.xlsx import write_xlsx

__all__ = [
    "BASELINE",
    "COUNTER_STRATA",
    "NATIONAL",
    "Alpha",
    "AnalysisError",
    "CellStats",
    "Comparison",
    "Contrast",
    "ContrastEstimate",
    "DataError",
    "Difference",
    "Estimate",
    "GroupResult",
    "ImproveEntry",
    "IndexResult",
    "Instrument",
    "InstrumentError",
    "Left",
    "Priority",
    "RankRange",
    "StaleLayoutError",
    "cell_stats",
    "columns",
    "compare_domains",
    "compute_from_cells",
    "compute_indices",
    "counter_design",
    "difference",
    "flag_responses",
    "is_open",
    "load_instrument",
    "parse_opening_hours",
    "period_mask",
    "poststratify",
    "read_counts",
    "read_responses",
    "result_frames",
    "to_csv",
    "to_json_dict",
    "to_table",
    "validate_frame",
    "write_responses",
    "write_xlsx",
]
