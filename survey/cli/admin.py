"""Administration commands: accounts, API keys, unit and response imports, QR files, receipt codes."""

from __future__ import annotations

import functools
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import current_app, g
from sqlalchemy import select

from survey import accounts, receipts
from survey.cli import fail, sipas
from survey.extensions import db
from survey.models import ROLES, ApiKey, ServicePoint, Unit
from survey.tree import import_unit_file, unit_by_code
from survey.units import UnitImportError
from survey.validation import InputError


def in_request(command: Callable[..., None]) -> Callable[..., None]:
    """Run a command inside a request context: messages in English, audited as the OS user."""

    @functools.wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> None:
        with current_app.test_request_context("/?lang=en"):
            g.audit_actor = f"cli:{getpass.getuser()}"
            command(*args, **kwargs)

    return wrapped


def _unit(code: str | None, option: str = "--unit") -> Unit | None:
    if not code:
        return None
    unit = unit_by_code(code)
    if unit is None:
        fail(f"{option}: unknown unit code '{code}'")
    return unit


def _commit_or_fail(exc: Exception) -> None:
    db.session.rollback()
    fail(str(exc))


@sipas.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--unit", "unit_code", help="Unit code (required for a viewer).")
@in_request
def create_user(email: str, role: str, unit_code: str | None) -> None:
    """Create an account; the password is read from stdin (first line)."""
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = accounts.create_user(email, role, _unit(unit_code), password)
        db.session.commit()
    except InputError as exc:
        _commit_or_fail(exc)
    click.echo(f"account {user.email} ({user.role}) created")


@sipas.command("import-units")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@in_request
def import_units_cmd(file: Path) -> None:
    """Import or update the unit tree from a CSV or XLSX file (all rows or none)."""
    try:
        created, updated = import_unit_file(file, file.name)
        db.session.commit()
    except UnitImportError as exc:
        _commit_or_fail(exc)
    click.echo(f"{created} units created, {updated} updated")


@sipas.command("import-responses")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@in_request
def import_responses_cmd(file: Path) -> None:
    """Import paper or household responses in the interchange format (all rows or none)."""
    from survey.paper import import_responses

    try:
        count = import_responses(file, file.name)
        db.session.commit()
    except InputError as exc:
        _commit_or_fail(exc)
    click.echo(f"{count} responses imported")


@sipas.command("receipt-codes")
@click.option("--unit", "unit_code", required=True)
@click.option("--point", "point_code", required=True)
@click.option("--count", default=1, show_default=True, type=int)
@click.option("--ttl-days", default=30, show_default=True, type=int)
@in_request
def receipt_codes(unit_code: str, point_code: str, count: int, ttl_days: int) -> None:
    """Print single-use receipt codes of a counter as TSV: code, url."""
    unit = _unit(unit_code)
    point = db.session.scalar(
        select(ServicePoint).where(ServicePoint.unit_id == unit.id, ServicePoint.code == point_code)  # type: ignore[union-attr]
    )
    if point is None:
        fail(f"--point: unknown counter '{point_code}' in unit '{unit_code}'")
    try:
        codes = receipts.mint(point, count, ttl_days)  # type: ignore[arg-type]
        db.session.commit()
    except InputError as exc:
        _commit_or_fail(exc)
    click.echo("code\turl")
    for code in codes:
        click.echo(f"{code}\t{receipts.receipt_url(code)}")


@sipas.group("api-key")
def api_key() -> None:
    """API keys of integrations."""


@api_key.command("create")
@click.argument("name")
@in_request
def api_key_create(name: str) -> None:
    """Create a key and print it once (only its hash is kept)."""
    try:
        key, plain = accounts.create_api_key(name)
        db.session.commit()
    except InputError as exc:
        _commit_or_fail(exc)
    click.echo(f"id {key.id}: {plain}")


@api_key.command("revoke")
@click.argument("key_id", type=int)
@in_request
def api_key_revoke(key_id: int) -> None:
    """Revoke a key by its id."""
    key = db.session.get(ApiKey, key_id)
    if key is None:
        fail(f"ID: no API key {key_id}")
    accounts.revoke_api_key(key)  # type: ignore[arg-type]
    db.session.commit()
    click.echo(f"API key {key_id} revoked")


@sipas.command("qr")
@click.option("--unit", "unit_code", required=True)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@in_request
def qr(unit_code: str, out: Path) -> None:
    """Write PNG, SVG and A5 poster (PDF) of every active counter of the unit, and the A4 sheet."""
    from survey.qr import poster_html, poster_pdf, qr_png, qr_svg, survey_url

    unit = _unit(unit_code)
    points = sorted((p for p in unit.points if p.active), key=lambda p: p.code)  # type: ignore[union-attr]
    if not points:
        fail(f"--unit: unit '{unit_code}' has no active counter")
    out.mkdir(parents=True, exist_ok=True)
    for point in points:
        stem = out / f"{unit.code}-{point.code}"  # type: ignore[union-attr]
        Path(f"{stem}.png").write_bytes(qr_png(survey_url(point)))
        Path(f"{stem}.svg").write_text(qr_svg(survey_url(point)), "utf-8")
        html = poster_html([point])
        Path(f"{stem}-poster.html").write_text(html, "utf-8")
        Path(f"{stem}-poster.pdf").write_bytes(poster_pdf(html))
    (out / f"{unit.code}-posters.pdf").write_bytes(poster_pdf(poster_html(points, sheet=True)))  # type: ignore[union-attr]
    click.echo(f"{len(points)} counters: PNG, SVG and posters written to {out}")
