"""The app's instrument, loaded once per process from the analysis package's data file."""

from __future__ import annotations

from functools import cache

from flask import current_app

from analysis.instrument import Instrument, load_instrument

__all__ = ["instrument"]


@cache
def _load(ref: str) -> Instrument:
    return load_instrument(ref)


def instrument() -> Instrument:
    """The configured instrument (SIPAS_INSTRUMENT, default sipas-2025); immutable, cached."""
    return _load(current_app.config["SIPAS_INSTRUMENT"])
