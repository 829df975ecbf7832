"""The one-page A4 summary of a unit, and where `/` and a login lead."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.admin.conftest import World, login, post
from tests.reports.conftest import Answer


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_summary_is_one_page_with_the_official_header(as_viewer, answer: Answer, world: World) -> None:
    """Exactly one A4 page: issuing body, unit, period with its dates, data as of, generated at,
    the three indices in words, and the actions — even with several long actions recorded."""
    answer(world.point, 60, comment="Cần thêm ghế ngồi chờ.")
    for k in range(4):
        form = {
            "criterion": "B1.2",
            "description": "Thêm ghế chờ và bàn viết " * 3,
            "responsible": "Văn phòng",
        }
        post(as_viewer, "/reports/03408/actions/new", form | {"starts_on": f"2026-0{k + 1}-15"})
    reply = as_viewer.get("/reports/03408/summary.pdf?period=2026")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    pages, text = _text(reply.data)
    flat = " ".join(text.split())
    assert pages == 1
    assert "ỦY BAN NHÂN DÂN TỈNH LAI CHÂU" in flat.upper() and "SỞ NỘI VỤ" in flat.upper()
    assert "Phường Tân Phong" in flat and "Đợt 2026" in flat
    assert "Dữ liệu đến" in flat and "Lập lúc" in flat
    assert any(w in flat for w in ("cao hơn mốc", "thấp hơn mốc", "chưa đủ chắc chắn để kết luận"))
    page = PdfReader(io.BytesIO(reply.data)).pages[0]
    assert round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842  # A4


def test_summary_header_is_configurable(app, as_viewer, answer: Answer, world: World) -> None:
    """SIPAS_REPORT_ISSUER sets the issuing body printed on top."""
    answer(world.point, 5)
    app.config["SIPAS_REPORT_ISSUER"] = "Ủy ban nhân dân tỉnh Điện Biên|Sở Nội vụ tỉnh Điện Biên"
    _pages, text = _text(as_viewer.get("/reports/03408/summary.pdf").data)
    assert "ĐIỆN BIÊN" in " ".join(text.split()).upper()


def test_root_sends_a_browser_to_login(client) -> None:
    """`/` is not the survey's 404: a visitor goes to the login page."""
    reply = client.get("/")
    assert reply.status_code == 303 and reply.location.endswith("/login")


def test_viewer_of_one_unit_lands_on_its_report(app, world: World) -> None:
    """After login a viewer whose unit has no sub-units lands on that unit's report."""
    client = app.test_client()
    reply = login(client, world.viewer.email)
    assert reply.status_code == 303 and reply.location.endswith("/reports/03408")
    assert client.get("/").location.endswith("/reports/03408")


def test_roles_land_on_their_home(as_admin, as_analyst) -> None:
    """`/` after login: admin → administration; analyst → the province overview."""
    assert as_admin.get("/").location.endswith("/admin/")
    assert as_analyst.get("/").location.endswith("/reports/province")
