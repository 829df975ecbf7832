"""Typed SQLAlchemy models, one module per stage of the data flow."""

from survey.models.accounts import ROLES, ApiKey, User
from survey.models.actions import ImprovementAction
from survey.models.aggregates import DataVersion, ResponseCell, ResponseDay, RotationCount, SetupVersion
from survey.models.audit import AuditLog, AuditLogIsAppendOnly
from survey.models.base import Base, utcnow
from survey.models.cases import (
    CASE_CATEGORIES,
    CASE_STATUSES,
    Case,
    CaseContact,
    CaseNote,
    CaseSetting,
    DigestRun,
)
from survey.models.codes import ReceiptCode, RetiredToken
from survey.models.dossiers import DossierCount
from survey.models.health import Heartbeat
from survey.models.languages import Language, Recording, Translation
from survey.models.reports import ReportCache
from survey.models.responses import CHANNELS, Answer, Response
from survey.models.retention import AuditArchive
from survey.models.units import UNIT_KINDS, Period, ServicePoint, Unit, new_token

__all__ = [
    "CASE_CATEGORIES",
    "CASE_STATUSES",
    "CHANNELS",
    "ROLES",
    "UNIT_KINDS",
    "Answer",
    "ApiKey",
    "AuditArchive",
    "AuditLog",
    "AuditLogIsAppendOnly",
    "Base",
    "Case",
    "CaseContact",
    "CaseNote",
    "CaseSetting",
    "DigestRun",
    "DataVersion",
    "DossierCount",
    "Heartbeat",
    "ImprovementAction",
    "Language",
    "Period",
    "ReceiptCode",
    "Recording",
    "ReportCache",
    "Response",
    "ResponseCell",
    "ResponseDay",
    "RetiredToken",
    "RotationCount",
    "ServicePoint",
    "SetupVersion",
    "Translation",
    "Unit",
    "User",
    "new_token",
    "utcnow",
]
