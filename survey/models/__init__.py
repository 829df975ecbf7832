"""Typed SQLAlchemy models, one module per stage of the data flow."""

from survey.models.accounts import ROLES, ApiKey, User
from survey.models.audit import AuditLog, AuditLogIsAppendOnly
from survey.models.base import Base, utcnow
from survey.models.codes import ReceiptCode, RetiredToken
from survey.models.languages import Language, Recording, Translation
from survey.models.reports import ReportCache
from survey.models.responses import CHANNELS, Answer, Response
from survey.models.units import UNIT_KINDS, Period, ServicePoint, Unit, new_token

__all__ = [
    "CHANNELS",
    "ROLES",
    "UNIT_KINDS",
    "Answer",
    "ApiKey",
    "AuditLog",
    "AuditLogIsAppendOnly",
    "Base",
    "Language",
    "Period",
    "ReceiptCode",
    "Recording",
    "ReportCache",
    "Response",
    "RetiredToken",
    "ServicePoint",
    "Translation",
    "Unit",
    "User",
    "new_token",
    "utcnow",
]
