"""Bookkeeping beside the responses, so that no read counts or scans them (SPEC §4).

The write path calls :func:`record_response` (imports: :func:`record_responses`); deletions
go through :func:`delete_responses`. They keep, in the same transaction:

* ``data_version`` — a counter per unit and period that any change raises: the cache key of
  every report (:func:`data_version`);
* ``rotation_count`` — responses per counter, period and policy group, for the rotation;
* ``response_day`` — per counter and local day, a generation raised by any change. Readers
  call :func:`settle` first: it re-reads the rows of the days changed since they were last
  folded, in one batch, and stores their quality flags through ``analysis.quality`` and
  their cell statistics (``response_cell``, :mod:`analysis.cells`): reports add up those cells
  (:func:`stored_cells`) instead of reading the responses.
"""

from survey.aggregates.bookkeeping import (
    delete_responses,
    local_day,
    rebuild,
    record_response,
    record_responses,
    touch_days,
)
from survey.aggregates.cells import newest_response, stored_cells
from survey.aggregates.settle import rules_fingerprint, settle
from survey.aggregates.versions import data_version, response_counts

__all__ = [
    "data_version",
    "delete_responses",
    "local_day",
    "newest_response",
    "rebuild",
    "record_response",
    "record_responses",
    "response_counts",
    "rules_fingerprint",
    "settle",
    "stored_cells",
    "touch_days",
]
