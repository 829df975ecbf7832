"""Database set-up and the demo province."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import current_app, g
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


def _demo_login_file() -> Path:
    return Path(
        current_app.config.get("SIPAS_DEMO_LOGIN_FILE") or Path(current_app.instance_path) / "demo-login.txt"
    )


def _database() -> str:
    """The database in use, without any password: the demo logins belong to one database."""
    return db.engine.url.render_as_string(hide_password=True)


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
    from survey.demo import DEMO_ACCOUNTS
    from survey.demo import seed_demo as seed

    if db.session.scalar(select(func.count()).select_from(Unit)):
        click.echo("database already holds data; demo not seeded again")
        return
    # A random password per demo database, kept in instance/ (not a password known to the world).
    password = f"Demo-{secrets.token_urlsafe(9)}-{secrets.randbelow(90) + 10}"
    with current_app.test_request_context("/?lang=en"):
        g.audit_actor = "seed-demo"
        counts = seed(instrument(), responses=responses, password=password)
        db.session.commit()
    path = _demo_login_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"database\t{_database()}\n"] + [
        f"{email}\t{role}\t{password}\n" for email, role, _ in DEMO_ACCOUNTS
    ]
    path.write_text("".join(lines))
    path.chmod(0o600)
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()) + " created")


@sipas.command("demo-login")
def demo_login() -> None:
    """Print the demo accounts created by seed-demo (from instance/demo-login.txt)."""
    path = _demo_login_file()
    lines = [line.split("\t") for line in path.read_text().splitlines()] if path.exists() else []
    if not lines or lines[0] != ["database", _database()]:
        click.echo(
            "no demo accounts for this database"
            " (create one: flask --app wsgi sipas create-user EMAIL --role admin)"
        )
        return
    click.echo(f"Demo logins (open {current_app.config['SIPAS_BASE_URL']}/login):")
    for email, role, password in lines[1:]:
        click.echo(f"  {role:8} {email}  password: {password}")
