"""A citizen answers the survey in a real browser at phone size, with and without JavaScript."""

from __future__ import annotations

from urllib.parse import urlparse

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from sqlalchemy import select

from survey.models import Answer, Response
from tests.factories import make_open_point


def answer_survey(phone: Page, url: str) -> None:
    phone.goto(url)
    phone.get_by_label("Nhận kết quả").check()
    phone.get_by_role("button", name="Tiếp tục").click()
    phone.locator("#q-B1-1").get_by_label("Hài lòng", exact=True).check()
    phone.locator("#q-B4-1").get_by_label("Rất hài lòng").check()
    phone.locator("#q-B3-1").get_by_label("Không biết / không trả lời").check()
    phone.get_by_label("Lĩnh vực chính sách").select_option("G2")
    phone.locator("#q-A1").get_by_label("Không hài lòng", exact=True).check()
    phone.get_by_label("Bạn muốn góp ý").fill("Cần thêm ghế.")
    phone.get_by_role("button", name="Gửi câu trả lời").click()


def test_citizen_answers_on_a_phone(db, live_server, phone):
    """At 360 px the survey is answered, submitted, thanked, and the answers are stored."""
    point = make_open_point()
    hosts: set[str] = set()
    phone.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    answer_survey(phone, f"{live_server}/s/{point.token}")
    assert phone.get_by_role("heading", name="Xin cảm ơn!").is_visible()
    assert phone.url.endswith(f"/s/{point.token}/thanks")
    db.session.expire_all()
    assert db.session.scalars(select(Response)).one().point_id == point.id
    answers = {(a.item_code, a.value, a.text) for a in db.session.scalars(select(Answer))}
    assert answers == {("S1", 2, None), ("B1.1", 4, None), ("B4.1", 5, None), ("B3.1", 9, None),
                       ("A1.G2", 2, None), ("C1", None, "Cần thêm ghế.")}
    assert hosts == {urlparse(live_server).netloc}


def test_survey_works_with_javascript_off(db, live_server, browser):
    """With JavaScript disabled the two steps and the submit still work."""
    point = make_open_point()
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    answer_survey(page, f"{live_server}/s/{point.token}")
    assert page.get_by_role("heading", name="Xin cảm ơn!").is_visible()
    context.close()


def test_no_horizontal_scroll_at_360px(db, live_server, phone):
    """Nothing on step 2 is wider than the 360 px screen."""
    point = make_open_point()
    phone.goto(f"{live_server}/s/{point.token}")
    phone.get_by_role("button", name="Tiếp tục").click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_axe_finds_no_accessibility_violation(db, live_server, phone):
    """axe-core (WCAG 2.1 A/AA rules) finds nothing on step 1, step 2 and an error page."""
    point = make_open_point()
    axe = Axe()
    phone.goto(f"{live_server}/s/{point.token}")
    pages = [axe.run(phone, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})]
    phone.get_by_label("Nhận kết quả").check()
    phone.get_by_role("button", name="Tiếp tục").click()
    pages.append(axe.run(phone, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}))
    phone.goto(f"{live_server}/s/unknown")
    pages.append(axe.run(phone, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}))
    for result in pages:
        assert result.violations_count == 0, result.generate_report()
