"""Fixtures of the analysis tests: the shipped instrument."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
for path in (ROOT, HERE):  # the package under test, and the shared test modules (any import mode)
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from analysis.instrument import Instrument, load_instrument  # noqa: E402


@pytest.fixture(scope="session")
def instrument() -> Instrument:
    """The shipped sipas-2025 instrument."""
    return load_instrument("sipas-2025")
