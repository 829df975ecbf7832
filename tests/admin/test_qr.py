"""QR codes and posters: decoded by an independent reader (zbarimg), PDF with Vietnamese text."""

from __future__ import annotations

import re
import subprocess
import zlib
from pathlib import Path

from survey.models import ServicePoint
from tests.admin.conftest import World


def zbar(path: Path) -> str:
    """The text of the QR code in an image, read by zbarimg (Debian zbar-tools)."""
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def pdf_fonts(pdf: bytes) -> set[str]:
    """The font names a PDF uses (its object streams are deflated)."""
    blobs = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            blobs.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue  # an image or another encoding
    return {m.decode() for b in blobs for m in re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([A-Za-z\-]+)", b)}


def survey_url(point: ServicePoint) -> str:
    return f"https://sipas.example.vn/s/{point.token}"


def test_png_decodes_to_the_survey_url(as_admin, world: World, tmp_path: Path) -> None:
    """The PNG QR code of a counter decodes to SIPAS_BASE_URL/s/<token>."""
    reply = as_admin.get(f"/admin/points/{world.point.id}/qr.png")
    assert reply.status_code == 200
    assert reply.mimetype == "image/png"
    path = tmp_path / "qr.png"
    path.write_bytes(reply.data)
    assert zbar(path) == survey_url(world.point)


def test_svg_is_a_scalable_qr_image(as_admin, world: World) -> None:
    """The SVG is an SVG document with a viewBox (prints sharp at any size)."""
    reply = as_admin.get(f"/admin/points/{world.point.id}/qr.svg")
    assert reply.mimetype == "image/svg+xml"
    assert reply.text.startswith("<svg") or "<svg" in reply.text[:200]
    assert "viewBox" in reply.text


def test_poster_names_province_unit_counter_and_instructions(as_admin, world: World) -> None:
    """The A5 poster has province, unit and counter names, both instructions and the QR image."""
    page = as_admin.get(f"/admin/points/{world.point.id}/poster").text
    for text in (
        "Tỉnh Lai Châu",
        "Phường Tân Phong",
        "Bộ phận Một cửa phường Tân Phong",
        "Quét mã QR",
        "Scan the QR code",
        "size: A5",
    ):
        assert text in page
    assert re.search(r'<img class="qr" src="data:image/svg\+xml;base64,', page)


def test_poster_pdf_embeds_a_font_with_vietnamese_diacritics(as_admin, world: World) -> None:
    """The poster PDF is a PDF that embeds DejaVu Sans, which has every Vietnamese diacritic."""
    reply = as_admin.get(f"/admin/points/{world.point.id}/poster.pdf")
    assert reply.mimetype == "application/pdf"
    assert reply.data.startswith(b"%PDF")
    assert "DejaVu-Sans" in pdf_fonts(reply.data)


def test_unit_sheet_has_every_active_counter(as_admin, db, world: World) -> None:
    """The A4 sheet of a unit carries one poster per active counter and none for inactive ones."""
    from tests.factories import make_point

    make_point(world.ward, "Q02", "Quầy hai")
    make_point(world.ward, "Q03", "Quầy ba (nghỉ)", active=False)
    db.session.commit()
    page = as_admin.get("/admin/units/03408/posters").text
    assert page.count('<img class="qr"') == 2
    assert "size: A4" in page
    assert "Quầy ba (nghỉ)" not in page
    pdf = as_admin.get("/admin/units/03408/posters.pdf")
    assert pdf.data.startswith(b"%PDF")


def test_cli_qr_writes_png_svg_and_posters_for_every_active_counter(
    runner, db, world: World, tmp_path: Path
) -> None:
    """`sipas qr` writes PNG, SVG, HTML and PDF posters per active counter, and the A4 sheet."""
    from tests.factories import make_point

    make_point(world.ward, "Q02", "Quầy hai")
    make_point(world.ward, "Q03", "Quầy ba", active=False)
    db.session.commit()
    result = runner.invoke(args=["sipas", "qr", "--unit", "03408", "--out", str(tmp_path / "qr")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "qr").iterdir())
    assert names == sorted(
        [f"03408-{c}{s}" for c in ("Q01", "Q02") for s in (".png", ".svg", "-poster.html", "-poster.pdf")]
        + ["03408-posters.pdf"]
    )
    assert zbar(tmp_path / "qr" / "03408-Q01.png") == survey_url(world.point)
    assert (tmp_path / "qr" / "03408-Q02-poster.pdf").read_bytes().startswith(b"%PDF")


def test_cli_qr_unknown_unit_is_an_error(runner, db, tmp_path: Path) -> None:
    """An unknown unit code is a one-line error and a non-zero exit."""
    result = runner.invoke(args=["sipas", "qr", "--unit", "NOPE", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "--unit: unknown unit code 'NOPE'" in result.output


def test_poster_back_link_is_a_plain_link_to_the_unit(as_admin, world: World) -> None:
    """The poster's back link goes to the unit page by a normal href, which the CSP does not block."""
    for url in (f"/admin/points/{world.point.id}/poster", "/admin/units/03408/posters"):
        page = as_admin.get(url).text
        assert "javascript:" not in page
        assert '<a href="/admin/units/03408">' in page


def test_poster_promises_the_measured_time_not_a_fixed_one(as_admin, world: World, db) -> None:  # type: ignore[no-untyped-def]
    """The poster prints the first page's figure: 12 s × 23 questions until measured, then the median."""
    from survey.models import Period
    from survey.public import estimate
    from survey.responses import store_response

    url = f"/admin/points/{world.point.id}/poster"
    page = as_admin.get(url).text
    assert "khoảng 5 phút" in page and "about 5 minutes" in page
    assert "2–3" not in page
    period = db.session.query(Period).one()
    for d in [700 + 10 * i for i in range(31)]:  # median 850 s: 15 minutes
        store_response(
            point=world.point, period=period, answers={}, policy_group=None, language="vi", duration_s=d
        )
    db.session.commit()
    estimate.forget()
    page = as_admin.get(url).text
    assert "khoảng 15 phút" in page and "about 15 minutes" in page
    sheet = as_admin.get("/admin/units/03408/posters").text
    assert "khoảng 15 phút" in sheet
    survey = as_admin.get(f"/s/{world.point.token}").text
    assert "khoảng 15 phút" in survey
