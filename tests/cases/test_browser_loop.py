"""The closed loop in a real browser: a citizen complains on a phone, an official answers on a
desktop, the citizen reads the answer with the case code — and nothing else of their survey."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from tests.browser_fixtures import PHONE
from tests.cases.conftest import CODE, World
from tests.factories import PASSWORD

WCAG = {"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
COMPLAINT = "Cán bộ hướng dẫn chưa rõ, tôi phải đi lại ba lần. Gọi tôi 0912 345 678."
REPLY = "Phường đã nhắc nhở cán bộ và niêm yết danh mục giấy tờ tại quầy từ ngày 10/12."


@pytest.mark.browser
def test_a_complaint_is_answered_and_the_citizen_reads_the_answer(
    browser: Browser, live_server, world: World
):
    """Citizen (360 px, JavaScript on): skips to the comment, writes a complaint with a phone number,
    sends, notes the code. Official (the ward's viewer): finds the case masked, publishes a reply.
    Citizen: opens /c/<code> and reads the reply; the page shows no answer of the survey."""
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    citizen = phone.new_page()
    citizen.set_default_timeout(15_000)
    citizen.goto(f"{live_server}/s/{world.point.token}")
    citizen.locator("#q-S1").get_by_label("Nhận kết quả", exact=True).check()
    citizen.get_by_role("button", name="Tiếp tục").click()
    citizen.locator("#q-B1-1").get_by_label("Rất không hài lòng", exact=True).check()  # then skip on
    comment = citizen.get_by_label("Ông/Bà muốn góp ý")
    send = citizen.get_by_role("button", name="Gửi câu trả lời")
    for _ in range(20):
        if comment.is_visible():
            comment.fill(COMPLAINT)
        if send.is_visible():
            break
        citizen.get_by_role("button", name="Tiếp tục").click()
    send.click()
    citizen.get_by_role("heading", name="Xin cảm ơn!").wait_for()
    heading = citizen.get_by_role("heading", name="có mã").inner_text()
    code = CODE.search(heading).group(0)
    assert Axe().run(citizen, options=WCAG).violations_count == 0

    desk = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    official = desk.new_page()
    official.set_default_timeout(15_000)
    official.goto(f"{live_server}/login")
    official.fill("#email", world.viewer.email)
    official.fill("#password", PASSWORD)
    official.click("button[type=submit]")
    official.wait_for_load_state()
    official.goto(f"{live_server}/cases/")
    official.locator("tbody tr", has_text="đi lại ba lần").get_by_role("link").first.click()
    official.get_by_role("heading", name="Trả lời công khai").wait_for()
    body = official.locator("main").inner_text()
    assert "[SĐT]" in body and "0912" not in body  # masked before anyone saw it
    official.fill("#reply", REPLY)
    official.get_by_role("button", name="Công bố trả lời").click()
    official.wait_for_load_state()
    assert "Đã công bố nội dung trả lời." in official.locator("main").inner_text()
    assert official.locator("#reply").input_value() == REPLY
    assert Axe().run(official, options=WCAG).violations_count == 0

    citizen.goto(f"{live_server}/c/{code}")
    page = citizen.locator("main").inner_text()
    assert REPLY in page
    assert "hài lòng" not in page.lower() and "0912" not in page  # nothing else of the survey, no number
    assert Axe().run(citizen, options=WCAG).violations_count == 0
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()
    desk.close()
