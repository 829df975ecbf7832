"""Fixtures of the analysis tests: the shipped instrument."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the package under test lives at the repository root
    sys.path.insert(0, str(ROOT))

from analysis.instrument import Instrument, load_instrument  # noqa: E402


@pytest.fixture(scope="session")
def instrument() -> Instrument:
    """The shipped sipas-2025 instrument."""
    return load_instrument("sipas-2025")
