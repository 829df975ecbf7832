"""Survey languages: translation sheets (export, import) and recordings per question and option."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.admin import bp
from survey.admin.forms import done
from survey.extensions import db
from survey.instrument import instrument
from survey.languages.audio import delete_recording, recordable_codes, recordings, store_recording
from survey.languages.catalog import BUILTIN_NAMES, pack, stored_languages
from survey.languages.sheet import export_sheet, import_sheet
from survey.validation import InputError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows() -> list[dict[str, object]]:
    """Every language: its name, whether citizens are offered it, what it lacks, its recordings."""
    ins = instrument()
    stored = stored_languages()
    codes = list(ins.languages) + sorted(c for c in stored if c not in ins.languages)
    rows = []
    for code in codes:
        p = pack(ins, code)
        name = stored.get(code, (BUILTIN_NAMES.get(code, code), 0))[0]
        rows.append(
            {
                "code": code,
                "name": name,
                "file": code in ins.languages,
                "missing": p.missing,
                "recordings": len(p.audio),
            }
        )
    return rows


def _page(error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("admin/languages.html", rows=_rows(), error=error), status


@bp.get("/languages")
def languages():  # type: ignore[no-untyped-def]
    """Languages of the citizen's survey, with the sheet export and import."""
    return _page()


@bp.get("/languages/sheet")
def language_sheet() -> Response | tuple[str, int]:
    """The translation sheet of one language (code, Vietnamese, target) as XLSX."""
    lang = request.args.get("lang", "").strip()
    try:
        data = export_sheet(instrument(), lang)
    except InputError as exc:
        return _page(str(exc), 422)
    return Response(
        data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="survey-{lang}.xlsx"'}
    )


@bp.post("/languages/import")
def language_import():  # type: ignore[no-untyped-def]
    """Import a filled sheet: stored and offered to citizens only when complete."""
    file = request.files.get("file")
    try:
        if file is None or not file.filename:
            raise InputError(_("File: choose the filled translation sheet (.xlsx)."))
        language = import_sheet(instrument(), file.read())
    except InputError as exc:
        db.session.rollback()
        return _page(str(exc), 422)
    message = _(
        "%(name)s (%(code)s) imported: citizens can now choose it.", name=language.endonym, code=language.code
    )
    return done(message, url_for("admin.languages"))


def _audio_page(language: str, error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    ins = instrument()
    if language not in ins.languages and language not in stored_languages():
        abort(404)
    return render_template(
        "admin/language_audio.html",
        language=language,
        codes=recordable_codes(ins),
        have=recordings(language),
        error=error,
    ), status


@bp.get("/languages/<language>/audio")
def language_audio(language: str):  # type: ignore[no-untyped-def]
    """The questions and options of one language, with their recordings and an upload form."""
    return _audio_page(language)


@bp.post("/languages/<language>/audio")
def language_audio_upload(language: str) -> WerkzeugResponse | tuple[str, int]:
    """Upload (or replace) the recording of one code; delete it with action=delete."""
    code = request.form.get("code", "")
    try:
        if request.form.get("action") == "delete":
            if not delete_recording(language, code):
                abort(404)
            return done(
                _("Recording of %(code)s deleted.", code=code),
                url_for("admin.language_audio", language=language),
            )
        file = request.files.get("file")
        if file is None or not file.filename:
            raise InputError(_("Recording: choose an .opus or .mp3 file."))
        store_recording(instrument(), language, code, file.read(21 * 1024))
    except InputError as exc:
        db.session.rollback()
        return _audio_page(language, str(exc), 422)
    return done(
        _("Recording of %(code)s saved.", code=code), url_for("admin.language_audio", language=language)
    )
