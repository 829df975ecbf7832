"""Running a server: `check-config`, `backup`, `restore`, `retention` (docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from survey.cli import fail, sipas
from survey.extensions import db
from survey.ops import backup as backups
from survey.ops import checks, retention, settings


@sipas.command("check-config")
def check_config() -> None:
    """Refuse (exit 1, one line per problem) settings unsafe for production (SIPAS_ENV=production)."""
    found = checks.problems(current_app)
    if not checks.is_production(current_app):
        for line in found:
            click.echo(f"note: {line}")
        env = current_app.config["SIPAS_ENV"]
        click.echo(f"SIPAS_ENV={env}: not checked (a server sets SIPAS_ENV=production)")
        return
    if found:
        for line in found:
            click.echo(line, err=True)
        raise SystemExit(1)
    click.echo("configuration is safe for production")


@sipas.command("backup")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Backup file.")
def backup(out: Path) -> None:
    """Back up the whole database into one file (PostgreSQL: pg_dump custom format; SQLite: a copy)."""
    db.session.remove()  # nothing of this process holds the database while it is copied
    try:
        kind = backups.backup(db.engine.url, out)
    except backups.BackupError as exc:
        fail(str(exc))
    click.echo(f"{kind} backup written to {out} ({out.stat().st_size} bytes)")


@sipas.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def restore(source: Path) -> None:
    """Restore a backup into the empty database of SIPAS_DATABASE_URL; then run `sipas init`."""
    db.session.remove()
    db.engine.dispose()
    try:
        restored = backups.restore(db.engine.url, source)
    except backups.BackupError as exc:
        fail(str(exc))
    click.echo(f"restored {source} (migration {restored.revision}); now run `sipas init` to upgrade it")


@sipas.command("retention")
@click.option("--dry-run", is_flag=True, help="Only count what is due; change nothing.")
def retention_command(dry_run: bool) -> None:
    """Erase personal data older than its retention period; archive old audit entries."""
    if problems := settings.setting_problems(current_app):
        fail(problems[0])
    _require_newest_schema()
    dues = retention.plan(current_app) if dry_run else retention.apply(current_app, actor="sipas retention")
    for due in dues:
        click.echo(due.line(done=not dry_run))
    if dry_run:
        click.echo("dry run: nothing changed")


def _require_newest_schema() -> None:
    """Refuse to work on a database that `sipas init` has not upgraded (after a restore, say)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    heads = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory)).get_heads()
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    if set(current) != set(heads):
        at = ", ".join(current) or "none"
        fail(
            f"the database is at migration {at}, not the newest ({', '.join(heads)}): run `sipas init` first"
        )
