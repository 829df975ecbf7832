"""`flask --app wsgi sipas …` commands (SPEC 3.3).

Errors print one line naming the problem and exit non-zero; nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import AppGroup

__all__ = ["atomic_output", "fail", "sipas"]

sipas = AppGroup("sipas", help="SIPAS platform administration.")


def fail(message: str) -> NoReturn:
    """Print one error line and exit non-zero."""
    raise click.ClickException(message)


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out``, moved into place only if the block succeeds.

    A reader never sees half a file, and a failed write leaves nothing behind.
    """
    if not out.parent.is_dir():
        fail(f"--out: folder '{out.parent}' does not exist")
    tmp = out.with_name(out.name + ".part")
    try:
        yield tmp
        tmp.replace(out)
    except OSError as exc:
        fail(f"--out: cannot write '{out}': {exc.strerror or exc}")
    finally:
        tmp.unlink(missing_ok=True)


from survey.cli import admin, cases, compute, data, languages, ops, setup  # noqa: E402,F401  (commands register on import)
