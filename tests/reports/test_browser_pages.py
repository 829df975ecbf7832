"""In Chromium at 360 px and 1280 px: the unit report, the province overview, the admin home and
recording an action fit without sideways scrolling, and axe finds no WCAG 2.1 A/AA violation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from survey.periods import local_today
from tests.admin.conftest import World
from tests.factories import PASSWORD
from tests.reports.conftest import Answer

WIDTHS = [360, 1280]
WCAG = {"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}


def _page(browser: Browser, width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _fits_and_passes_axe(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "sideways scrolling"
    result = Axe().run(page, options=WCAG)
    assert result.violations_count == 0, result.generate_report()


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_viewer_reads_the_report_and_records_an_action(
    browser: Browser, live_server: str, answer: Answer, world: World, width: int
) -> None:
    """The viewer lands on the report (summary and improve-first first), records an action against
    the first improve-first criterion, and sees it in the report's actions with its effect."""
    answer(world.point, 60)
    page = _page(browser, width)
    _login(page, live_server, world.viewer.email)
    assert page.url.endswith("/reports/03408")
    order = page.evaluate("[...document.querySelectorAll('main h2')].map(h => h.id)")
    assert order[:2] == ["h-summary", "h-first"]
    _fits_and_passes_axe(page, width)
    first = page.locator("ol.improve li").first
    code = first.get_attribute("id").removeprefix("first-")
    first.get_by_role("link", name="Ghi nhận biện pháp").click()
    assert page.locator("#criterion").input_value() == code
    _fits_and_passes_axe(page, width)
    page.fill("#description", "Bổ sung 20 ghế chờ")
    page.fill("#responsible", "Văn phòng UBND phường")
    page.fill("#starts_on", (local_today() - timedelta(days=7)).isoformat())
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/reports/03408#h-actions")
    action = page.locator("table.actions tbody tr").first
    assert "Bổ sung 20 ghế chờ" in action.inner_text() and code in action.inner_text()
    assert action.locator("data").count() >= 7  # before, after (with intervals) and the change
    _fits_and_passes_axe(page, width)
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_province_overview_and_admin_home(
    browser: Browser, live_server: str, answer: Answer, world: World, width: int
) -> None:
    """The admin home shows the province figures and leads to the overview, which ranks the
    units, filters by kind and passes axe."""
    answer(world.point, 40)
    answer(world.other_point, 35)
    page = _page(browser, width)
    _login(page, live_server, world.admin.email)
    assert page.url.endswith("/admin/")
    assert page.locator("#key-sipas data").first.is_visible()
    _fits_and_passes_axe(page, width)
    page.locator("main").get_by_role("link", name="Tổng quan toàn tỉnh").click()
    page.wait_for_url("**/reports/province")
    assert page.locator("#units tbody tr").count() == 2
    _fits_and_passes_axe(page, width)
    page.select_option("#kind", "commune")
    page.locator("#kind").evaluate("e => e.form.submit()")
    page.wait_for_url("**kind=commune**")
    assert page.locator("#units tbody tr").count() == 1  # "no response" row: no commune here
    assert "Phường" not in page.locator("#units").inner_text()
    page.context.close()
