"""Improvement actions: a unit's officials record what they do about a criterion, and the
reports measure the criterion before and after the action started.

records.py holds the write operation and the measured effects; views.py the pages (a unit's
form, the province's table for Sở Nội vụ) and plan-progress exports (XLSX, PDF).
"""

from flask import Blueprint

bp = Blueprint("actions", __name__, url_prefix="/reports")

from survey.actions import exports, views  # noqa: E402,F401  (routes register on import)
