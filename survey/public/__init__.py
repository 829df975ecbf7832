"""Citizens' pages: the survey of a service point, no login, phone first."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from survey.public import assets, views  # noqa: E402,F401  (routes register on import)
