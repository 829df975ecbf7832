"""Data in and out: tokens, the response export, dossier counts, and the refresh of the bookkeeping."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from sqlalchemy import select

from survey.cli import atomic_output, fail, sipas
from survey.cli.admin import in_request
from survey.extensions import db
from survey.models import Period, ServicePoint, Unit
from survey.qr import survey_url
from survey.validation import InputError


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
    """Write responses in the interchange format (SPEC 3.5), streamed chunk by chunk."""
    from survey.bridge import iter_frames
    from survey.export import write_stream
    from survey.instrument import instrument

    period = None
    if period_code:
        period = db.session.scalar(select(Period).where(Period.code == period_code))
        if period is None:
            fail(f"--period: unknown period code '{period_code}'")
    if out.suffix.lower() not in (".csv", ".xlsx"):
        fail(f"--out: '{out}' must end in .csv or .xlsx")
    from survey.privacy import export_frame

    scope = period_code or "all"
    chunks = iter_frames(period_id=period.id if period else None)
    frames = (export_frame(frame, with_device_hash=False) for frame in chunks)
    with atomic_output(out) as tmp:
        count = write_stream(
            chunks if with_device_hash else frames, tmp, instrument(), out.suffix.lower().lstrip(".")
        )
    if with_device_hash:  # asked for: one audit entry for the whole file
        from survey import audit

        audit.record("responses.export_device_hash", "response", "", after={"scope": scope, "rows": count})
    db.session.commit()
    click.echo(f"{count} responses written to {out}")


@sipas.command("import-dossiers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@in_request
def import_dossiers_cmd(file: Path) -> None:
    """Import dossier counts per counter and month (CSV/XLSX: unit_code, point_code, month, dossiers)."""
    from survey.dossiers import import_dossiers

    try:
        count = import_dossiers(file, file.name)
        db.session.commit()
    except InputError as exc:
        db.session.rollback()
        fail(str(exc))
    click.echo(f"{count} dossier counts imported")


@sipas.command("export-dossiers")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output .csv file."
)
def export_dossiers(out: Path) -> None:
    """Write the stored dossier counts in the import format."""
    from survey.dossiers import COLUMNS, export_rows

    rows = export_rows()
    with atomic_output(out) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    click.echo(f"{len(rows)} dossier counts written to {out}")


@sipas.command("refresh")
@click.option(
    "--all", "everything", is_flag=True, help="Also re-check days checked under older quality rules."
)
def refresh(everything: bool) -> None:
    """Fold every changed day now — quality flags and cell statistics — so no page waits for it
    (run from cron, e.g. every 10 minutes). Days whose cells were made under another instrument
    layout are folded again too."""
    from survey.aggregates import settle
    from survey.aggregates.cells import stale_layouts

    stale_layouts()
    days = settle(stale_rules=everything)
    db.session.commit()
    click.echo(f"{days} days folded")
