"""Named exceptions of the analysis package; every message names the column, row or key."""

from __future__ import annotations

__all__ = ["AnalysisError", "DataError", "InstrumentError"]


class AnalysisError(ValueError):
    """Base class of every error the analysis package raises on bad input."""


class InstrumentError(AnalysisError):
    """The instrument file is missing or malformed."""


class DataError(AnalysisError):
    """The response data break the interchange format; the message names row and column."""
