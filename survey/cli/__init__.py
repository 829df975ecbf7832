"""`flask --app wsgi sipas …` commands (SPEC 3.3).

Errors print one line naming the problem and exit non-zero; nothing is half-written.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

__all__ = ["sipas"]

sipas = AppGroup("sipas", help="SIPAS platform administration.")


def fail(message: str) -> None:
    """Print one error line and exit with status 2."""
    raise click.ClickException(message)


from survey.cli import admin, compute, data, setup  # noqa: E402,F401  (commands register on import)
