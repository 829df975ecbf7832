"""Translation sheets: export (code, Vietnamese, target) and import, all or nothing.

A translator fills the third column. The import refuses the whole sheet, naming the codes,
when any text is missing, when a `%(…)s` placeholder of the survey's own words was dropped,
or when the Vietnamese has changed since the sheet was exported; so a language reaches the
citizens complete or not at all.
"""

from __future__ import annotations

import io
import re
import zipfile

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import delete, select

from analysis.instrument import Instrument
from survey.audit import record
from survey.extensions import db
from survey.languages.catalog import SOURCE, required_texts
from survey.languages.codes import LANGUAGE_NAME
from survey.languages.ui import placeholders
from survey.models import Language, Translation, utcnow
from survey.validation import InputError

__all__ = ["LANG_CODE", "export_sheet", "import_sheet", "read_sheet"]

LANG_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
MAX_ROWS = 5000
MAX_UNPACKED = 8 * 1024 * 1024  # a sheet of a few hundred texts is far below this
SHOWN = 12  # codes named in one refusal; the count says how many more


def export_sheet(ins: Instrument, lang: str) -> bytes:
    """The XLSX sheet of every text to translate into `lang`, with stored translations filled in."""
    check_code(ins, lang)
    stored = dict(
        db.session.execute(select(Translation.code, Translation.text).where(Translation.lang == lang)).all()
    )
    book = Workbook()
    sheet = book.active
    sheet.title = "translation"
    sheet.append(["code", SOURCE, lang])
    for code, vietnamese in required_texts(ins).items():
        sheet.append([code, vietnamese, stored.get(code, "")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in (("A", 24), ("B", 60), ("C", 60)):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row[1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check_code(ins: Instrument, lang: str) -> None:
    """A language code a sheet may be made for: well formed, not one the instrument file holds."""
    if not LANG_CODE.match(lang or ""):
        raise InputError(
            _("Language code '%(code)s': use an ISO 639 code such as 'blt' or 'hnj'.", code=lang)
        )
    if lang in ins.languages:
        raise InputError(
            _(
                "Language '%(code)s' is written in the instrument file; it is not imported from a sheet.",
                code=lang,
            )
        )


def read_sheet(data: bytes) -> tuple[str, dict[str, str], dict[str, str]]:
    """(language code, code -> target, code -> Vietnamese) of a sheet; refuses a malformed file."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED:
                raise InputError(_("File: too large for a translation sheet."))
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise InputError(_("File: not an Excel (.xlsx) workbook.")) from None
    sheet = book.worksheets[0]
    if (sheet.max_row or 0) > MAX_ROWS:
        raise InputError(_("File: more than %(n)d rows.", n=MAX_ROWS))
    rows = sheet.iter_rows(values_only=True)
    header = [str(v or "").strip() for v in next(rows, ())][:3]
    if len(header) < 3 or header[0] != "code" or header[1] != SOURCE:
        raise InputError(_("Row 1 must hold the columns code, vi and the language code."))
    targets: dict[str, str] = {}
    sources: dict[str, str] = {}
    for n, row in enumerate(rows, start=2):
        code = str(row[0] or "").strip() if row else ""
        if not code:
            continue
        if code in targets:
            raise InputError(_("Row %(row)d: code '%(code)s' appears twice.", row=n, code=code))
        sources[code] = str(row[1] if len(row) > 1 and row[1] is not None else "")
        targets[code] = str(row[2] if len(row) > 2 and row[2] is not None else "").strip()
    book.close()
    return header[2], targets, sources


def _named(codes: list[str]) -> str:
    shown = ", ".join(codes[:SHOWN])
    return shown if len(codes) <= SHOWN else shown + " " + _("and %(n)d more", n=len(codes) - SHOWN)


def _problems(ins: Instrument, targets: dict[str, str], sources: dict[str, str]) -> list[str]:
    """Every reason to refuse the sheet, in Vietnamese, each naming its codes."""
    required = required_texts(ins)
    problems = []
    missing = [c for c in required if not targets.get(c)]
    if missing:
        problems.append(_("Not translated (%(n)d): %(codes)s", n=len(missing), codes=_named(missing)))
    changed = [c for c in required if c in sources and sources[c].strip() != required[c].strip()]
    if changed:
        problems.append(_("Vietnamese changed since the sheet was made: %(codes)s", codes=_named(changed)))
    broken = [c for c in required if targets.get(c) and placeholders(targets[c]) != placeholders(required[c])]
    if broken:
        problems.append(_("Placeholders such as %%(n)s must be kept: %(codes)s", codes=_named(broken)))
    unknown = [c for c in targets if c not in required]
    if unknown:
        problems.append(_("Unknown codes: %(codes)s", codes=_named(unknown)))
    return problems


def import_sheet(ins: Instrument, data: bytes) -> Language:
    """Store a complete translation sheet (replacing the language's texts); the caller commits."""
    lang, targets, sources = read_sheet(data)
    check_code(ins, lang)
    problems = _problems(ins, targets, sources)
    if problems:
        raise InputError(
            _("Translation into '%(code)s' refused, nothing stored.", code=lang) + " " + " · ".join(problems)
        )
    required = required_texts(ins)
    language = db.session.get(Language, lang)
    before = {"endonym": language.endonym, "version": language.version} if language else None
    if language is None:
        language = Language(code=lang, endonym=targets[LANGUAGE_NAME], version=0)
        db.session.add(language)
    language.endonym = targets[LANGUAGE_NAME][:100]
    language.version += 1
    language.updated_at = utcnow()
    db.session.flush()
    db.session.execute(delete(Translation).where(Translation.lang == lang))
    db.session.add_all(
        Translation(lang=lang, code=code, text=targets[code], source=required[code]) for code in required
    )
    record(
        "language.import",
        "language",
        lang,
        before=before,
        after={"endonym": language.endonym, "version": language.version, "texts": len(required)},
    )
    return language
