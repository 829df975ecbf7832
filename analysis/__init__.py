"""SIPAS analysis: the instrument and the index computations, pure numpy/pandas/scipy.

This package never imports the web app, Flask or SQLAlchemy; the web app calls it:

>>> ins = load_instrument("sipas-2025")                              # doctest: +SKIP
>>> df = read_responses("responses.csv", ins)                         # doctest: +SKIP
>>> result = compute_indices(df, ins, by="unit_code", cluster="point_code", weight="weight")  # doctest: +SKIP
>>> to_json_dict(result)["groups"][0]["sipas"]                        # doctest: +SKIP
"""

from analysis.compute import compute_indices
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
    IndexResult,
    Priority,
    RankRange,
)
from analysis.serialise import result_frames, to_csv, to_json_dict, to_table
from analysis.weighting import poststratify, read_counts
from analysis.xlsx import write_xlsx

__all__ = [
    "BASELINE",
    "NATIONAL",
    "Alpha",
    "AnalysisError",
    "Comparison",
    "DataError",
    "Difference",
    "Estimate",
    "GroupResult",
    "IndexResult",
    "Instrument",
    "InstrumentError",
    "Priority",
    "RankRange",
    "columns",
    "compute_indices",
    "difference",
    "flag_responses",
    "is_open",
    "load_instrument",
    "parse_opening_hours",
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
