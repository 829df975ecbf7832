"""Database set-up and the demo province."""

from __future__ import annotations

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import func, select

from survey.cli import sipas
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Unit


@sipas.command("init")
def init() -> None:
    """Create or upgrade the database to the newest migration."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("database is at the newest migration")


@sipas.command("seed-demo")
@click.option(
    "--responses",
    default=3000,
    show_default=True,
    type=click.IntRange(0, 1_000_000),
    help="Synthetic responses to generate.",
)
def seed_demo(responses: int) -> None:
    """Seed the demo province into an empty database (a non-empty one is left as it is)."""
    from survey.demo import seed_demo as seed

    if db.session.scalar(select(func.count()).select_from(Unit)):
        click.echo("database already holds data; demo not seeded again")
        return
    counts = seed(instrument(), responses=responses)
    db.session.commit()
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()) + " created")
