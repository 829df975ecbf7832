"""Languages of the citizen's survey: export a translation sheet, import a filled one."""

from __future__ import annotations

from pathlib import Path

import click
from flask_babel import force_locale

from survey.cli import atomic_output, fail, sipas
from survey.extensions import db
from survey.instrument import instrument
from survey.languages.sheet import export_sheet, import_sheet
from survey.validation import InputError


@sipas.command("translation-sheet")
@click.argument("lang")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The .xlsx to write."
)
def translation_sheet(lang: str, out: Path) -> None:
    """Write the sheet to translate the survey into LANG (columns code, vi, LANG)."""
    try:
        data = export_sheet(instrument(), lang)
    except InputError as exc:
        fail(str(exc))
    with atomic_output(out) as tmp:
        tmp.write_bytes(data)
    click.echo(f"{out}: {lang}")


@sipas.command("import-translation")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_translation(file: Path) -> None:
    """Import a filled sheet; refused whole (codes named, in Vietnamese) unless complete."""
    # The refusal is read by the officer who sent the sheet to a translator: in Vietnamese.
    with force_locale("vi"):
        try:
            language = import_sheet(instrument(), file.read_bytes())
        except InputError as exc:
            db.session.rollback()
            fail(str(exc))
    db.session.commit()
    click.echo(f"{language.code} ({language.endonym}): {language.version}")
