"""SIPAS analysis: the instrument and the index computations, pure numpy/pandas/scipy.

This package never imports the web app, Flask or SQLAlchemy; the web app calls it.
"""

from analysis.errors import AnalysisError, DataError, InstrumentError
from analysis.instrument import Instrument, load_instrument

__all__ = ["AnalysisError", "DataError", "Instrument", "InstrumentError", "load_instrument"]
