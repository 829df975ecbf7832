"""The app's instrument, loaded once per process from the analysis package's data file.

Also how the web form names the questions: policy questions are asked about one group and
posted by element (``A1``), so one policy item per element stands for the whole element.
"""

from __future__ import annotations

from functools import cache

from flask import current_app

from analysis.instrument import Instrument, Item, load_instrument

__all__ = ["field_name", "instrument", "policy_template"]


@cache
def _load(ref: str) -> Instrument:
    return load_instrument(ref)


def instrument() -> Instrument:
    """The configured instrument (SIPAS_INSTRUMENT, default sipas-2025); immutable, cached."""
    return _load(current_app.config["SIPAS_INSTRUMENT"])


def field_name(item: Item) -> str:
    """The form field of an item: policy items are posted by element (``A1``)."""
    return item.element if item.group else item.code  # type: ignore[return-value]


def policy_template(ins: Instrument) -> tuple[Item, ...]:
    """One policy item per element (the first group's), standing for the whole element."""
    first = next(iter(ins.policy_groups), None)
    return ins.policy_items(first) if first else ()
