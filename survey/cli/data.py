"""Data in and out: tokens and the response export."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from survey.cli import atomic_output, fail, sipas
from survey.extensions import db
from survey.models import Period, ServicePoint, Unit
from survey.qr import survey_url


@sipas.command("tokens")
@click.option("--unit", "unit_code", help="Only the points of this unit code.")
def tokens(unit_code: str | None) -> None:
    """TSV of active points: unit_code, point_code, survey_url."""
    query = select(ServicePoint, Unit).join(Unit).where(ServicePoint.active.is_(True))
    if unit_code:
        if db.session.scalar(select(Unit.id).where(Unit.code == unit_code)) is None:
            fail(f"--unit: unknown unit code '{unit_code}'")
        query = query.where(Unit.code == unit_code)
    click.echo("unit_code\tpoint_code\tsurvey_url")
    for point, unit in db.session.execute(query.order_by(Unit.code, ServicePoint.code)):
        click.echo(f"{unit.code}\t{point.code}\t{survey_url(point)}")


@sipas.command("export-responses")
@click.option("--period", "period_code", help="Only responses of this period code.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file (.csv or .xlsx).",
)
@click.option(
    "--with-device-hash",
    is_flag=True,
    help="Keep the per-phone hash column (left empty by default; recorded in the audit log).",
)
def export_responses(period_code: str | None, out: Path, with_device_hash: bool) -> None:
    """Write responses in the interchange format (SPEC 3.5)."""
    from analysis.interchange import write_responses
    from survey.bridge import responses_frame
    from survey.instrument import instrument

    period = None
    if period_code:
        period = db.session.scalar(select(Period).where(Period.code == period_code))
        if period is None:
            fail(f"--period: unknown period code '{period_code}'")
    if out.suffix.lower() not in (".csv", ".xlsx"):
        fail(f"--out: '{out}' must end in .csv or .xlsx")
    from survey.privacy import export_frame

    frame = responses_frame(period_id=period.id if period else None)
    frame = export_frame(frame, with_device_hash=with_device_hash, scope=period_code or "all")
    with atomic_output(out) as tmp:
        write_responses(frame, tmp, instrument(), format=out.suffix.lower().lstrip("."))
    db.session.commit()
    click.echo(f"{len(frame)} responses written to {out}")
