"""Languages as data: a translation sheet goes out, comes back filled, and only whole
languages reach citizens."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from survey.models import AuditLog, Language, Recording, Response, Translation
from tests.admin.conftest import World
from tests.survey_client import hidden, post_answers

# A real MP3: MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, 417 bytes each) of silence.
SILENT_MP3 = (b"\xff\xfb\x90\x64" + bytes(413)) * 20
# The start of a real Ogg Opus stream: the Ogg page header, then the OpusHead packet at byte 28.
OPUS_HEAD = (
    b"OggS\x00\x02"
    + bytes(8)
    + b"\x01\x00\x00\x00"
    + bytes(4)
    + b"\x00\x00\x00\x00\x01\x13"
    + b"OpusHead\x01\x01\x38\x01\x80\x3e\x00\x00\x00\x00\x00"
)


def export(runner, tmp_path: Path, lang: str = "blt") -> list[list[str]]:  # type: ignore[no-untyped-def]
    out = tmp_path / f"{lang}.xlsx"
    result = runner.invoke(args=["sipas", "translation-sheet", lang, "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).worksheets[0]
    return [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]


def filled(rows: list[list[str]], skip: set[str] = frozenset(), edit=None) -> bytes:  # type: ignore[no-untyped-def,assignment]
    """The sheet with every target filled as a translator would (placeholders kept), except `skip`."""
    book = Workbook()
    sheet = book.active
    sheet.append(rows[0])
    for code, vietnamese, _target in rows[1:]:
        text = "" if code in skip else f"[blt] {vietnamese}"
        if code == "language.name" and code not in skip:
            text = "Tay Dam"
        if edit:
            text = edit(code, text)
        sheet.append([code, vietnamese, text])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_sheet_lists_every_text_with_its_vietnamese(db, runner, tmp_path, world: World):
    """The export has code, vi, target, and covers questions, options, groups and the survey's own words."""
    rows = export(runner, tmp_path)
    assert rows[0] == ["code", "vi", "blt"]
    texts = {code: vi for code, vi, _ in rows[1:]}
    assert texts["item.S1"] == "Hôm nay Ông/Bà đến để làm gì?"
    assert texts["item.A1"] == "Người dân được thông tin đầy đủ về chính sách này"
    assert texts["option.sat5.9"] == "Không biết / không trả lời"
    assert texts["group.G6"] == "Điện sinh hoạt"
    assert texts["language.name"] == "Tiếng Việt"
    assert "Tôi không rõ chính sách này" in texts.values()
    assert "Chưa gửi được — thử lại" in texts.values()
    assert all(target == "" for _c, _v, target in rows[1:])


def test_round_trip_offers_the_language_to_citizens(db, runner, client, tmp_path, world: World):
    """Filled and imported, the language is offered in itself and the survey speaks it, buttons included."""
    point = world.point
    sheet = tmp_path / "filled.xlsx"
    sheet.write_bytes(filled(export(runner, tmp_path)))
    result = runner.invoke(args=["sipas", "import-translation", str(sheet)])
    assert result.exit_code == 0, result.output
    page = client.get(f"/s/{point.token}")
    assert re.search(
        r'<button form="survey" type="submit" name="setlang" value="blt" lang="blt">Tay Dam</button>',
        page.text,
    )
    page = client.get(f"/s/{point.token}?lang=blt")
    assert '<html lang="blt">' in page.text
    assert "[blt] Hôm nay Ông/Bà đến để làm gì?" in page.text
    assert "[blt] Tiếp tục" in page.text and "[blt] Tôi không rõ chính sách này" in page.text
    assert "[blt] Câu 1–2/23" in page.text  # a message with placeholders, filled in
    reply = post_answers(
        client, point.token, hidden(page.text, "t"), hidden(page.text, "csrf_token"), {"B1.1": "4"}
    )
    assert reply.status_code == 303
    assert db.session.scalars(select(Response.language)).one() == "blt"
    assert db.session.scalars(select(AuditLog.action).where(AuditLog.action == "language.import")).one()


def test_incomplete_sheet_is_refused_naming_the_codes(db, runner, client, tmp_path, world: World):
    """Two texts left empty: refused in Vietnamese naming both codes, nothing stored, not offered."""
    point = world.point
    sheet = tmp_path / "half.xlsx"
    sheet.write_bytes(filled(export(runner, tmp_path), skip={"item.B3.2", "option.age.4"}))
    result = runner.invoke(args=["sipas", "import-translation", str(sheet)])
    assert result.exit_code != 0
    assert "Bản dịch sang 'blt' bị từ chối, chưa lưu gì." in result.output
    assert "Chưa dịch (2 mục): item.B3.2, option.age.4" in result.output
    assert db.session.scalar(select(func.count()).select_from(Translation)) == 0
    assert db.session.get(Language, "blt") is None
    page = client.get(f"/s/{point.token}?lang=blt")
    assert 'value="blt"' not in page.text and '<html lang="vi">' in page.text


def test_dropped_placeholder_and_changed_vietnamese_are_refused(db, runner, tmp_path, world: World):
    """A translation that loses %(a)s, or a sheet whose Vietnamese no longer matches, is refused by code."""
    rows = export(runner, tmp_path)
    code = next(c for c, vi, _ in rows[1:] if "%(a)s" in vi and "%(b)s" not in vi)
    rows = [r if r[0] != "item.B0" else [r[0], "Câu cũ", r[2]] for r in rows]
    sheet = tmp_path / "bad.xlsx"
    sheet.write_bytes(filled(rows, edit=lambda c, text: "Câu" if c == code else text))
    result = runner.invoke(args=["sipas", "import-translation", str(sheet)])
    assert result.exit_code != 0
    assert f"Phải giữ nguyên các chỗ như %(n)s: {code}" in result.output
    assert "Câu tiếng Việt đã thay đổi từ khi xuất bảng dịch: item.B0" in result.output


def test_a_language_whose_vietnamese_changed_later_is_withdrawn(db, runner, client, tmp_path, world: World):
    """When a question is reworded after the import, the stale language stops being offered."""
    point = world.point
    sheet = tmp_path / "filled.xlsx"
    sheet.write_bytes(filled(export(runner, tmp_path)))
    assert runner.invoke(args=["sipas", "import-translation", str(sheet)]).exit_code == 0
    assert 'value="blt"' in client.get(f"/s/{point.token}").text
    row = db.session.scalars(select(Translation).where(Translation.code == "item.B1.1")).one()
    row.source = "Biển chỉ dẫn (câu cũ)"
    db.session.get(Language, "blt").version += 1
    db.session.commit()
    assert 'value="blt"' not in client.get(f"/s/{point.token}").text


def test_admin_exports_and_imports_through_the_web(db, as_admin, tmp_path, world: World):
    """The officer's page downloads the sheet and refuses an incomplete one with the codes, in Vietnamese."""
    page = as_admin.get("/admin/languages")
    assert page.status_code == 200 and "Tiếng Việt" in page.text
    sheet = as_admin.get("/admin/languages/sheet?lang=hnj")
    assert sheet.status_code == 200
    rows = [list(r) for r in load_workbook(io.BytesIO(sheet.data)).worksheets[0].iter_rows(values_only=True)]
    assert rows[0] == ["code", "vi", "hnj"]
    rows[0][2] = "hnj"
    data = filled([[c, v, t or ""] for c, v, t in rows], skip={"item.C1"})
    csrf = hidden(page.text, "csrf_token")
    reply = as_admin.post(
        "/admin/languages/import",
        data={"csrf_token": csrf, "file": (io.BytesIO(data), "hnj.xlsx")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 422
    assert "Chưa dịch (1 mục): item.C1" in reply.text
    refused = as_admin.get("/admin/languages/sheet?lang=vi")
    assert refused.status_code == 422 and "có trong tệp bộ câu hỏi" in refused.text


def upload(as_admin, lang: str, code: str, data: bytes, name: str):  # type: ignore[no-untyped-def]
    page = as_admin.get(f"/admin/languages/{lang}/audio")
    return as_admin.post(
        f"/admin/languages/{lang}/audio",
        data={"csrf_token": hidden(page.text, "csrf_token"), "code": code, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_recordings_are_checked_stored_and_offered_on_tap(db, as_admin, client, world: World):
    """An MP3 of a question is stored and linked beside it; fakes and oversize files are refused."""
    point = world.point
    assert upload(as_admin, "vi", "item.B1.1", SILENT_MP3, "b11.mp3").status_code == 303
    assert upload(as_admin, "vi", "option.purpose.2", OPUS_HEAD + bytes(500), "s1.opus").status_code == 303
    fake = upload(as_admin, "vi", "item.B1.2", b"\x89PNG\r\n\x1a\n" + bytes(100), "b12.mp3")
    assert fake.status_code == 422 and "không phải tệp Opus" in fake.text
    big = upload(as_admin, "vi", "item.B1.2", SILENT_MP3 * 3, "b12.mp3")
    assert big.status_code == 422 and "tối đa 20 KB" in big.text
    assert upload(as_admin, "vi", "title", SILENT_MP3, "t.mp3").status_code == 422
    rows = db.session.scalars(select(Recording)).all()
    assert sorted((r.code, r.mime) for r in rows) == [
        ("item.B1.1", "audio/mpeg"),
        ("option.purpose.2", "audio/ogg"),
    ]
    page = client.get(f"/s/{point.token}").text
    digest = hashlib.sha256(SILENT_MP3).hexdigest()
    assert f'<a class="play" href="/a/{digest}.mp3" target="_blank" rel="noopener" data-audio' in page
    assert "<audio" not in page  # nothing is fetched before the tap
    sound = client.get(f"/a/{digest}.mp3")
    assert sound.data == SILENT_MP3 and sound.mimetype == "audio/mpeg"
    assert sound.headers["X-Content-Type-Options"] == "nosniff"
