"""Typed SQLAlchemy models, one module per stage of the data flow."""

from survey.models.base import Base, utcnow
from survey.models.responses import CHANNELS, Answer, Response
from survey.models.units import UNIT_KINDS, Period, ServicePoint, Unit, new_token

__all__ = [
    "CHANNELS",
    "UNIT_KINDS",
    "Answer",
    "Base",
    "Period",
    "Response",
    "ServicePoint",
    "Unit",
    "new_token",
    "utcnow",
]
