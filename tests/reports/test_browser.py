"""In Chromium: a ward's official logs in and reads the ward's report; axe finds nothing."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from tests.admin.conftest import World
from tests.factories import PASSWORD
from tests.reports.conftest import Answer


@pytest.mark.browser
def test_viewer_reads_the_report_and_axe_finds_nothing(
    browser: Browser, live_server: str, answer: Answer, world: World
) -> None:
    """At 1024 px the viewer sees SIPAS, the trend chart and the comments; WCAG 2.1 A/AA clean."""
    answer(world.point, 40, comment="Cần thêm ghế ngồi chờ.")
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(f"{live_server}/login")
    page.fill("#email", world.viewer.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/reports/**")
    page.goto(f"{live_server}/reports/03408")
    assert page.locator("#est-sipas data").first.is_visible()
    assert page.locator("svg[role=img] title").first.text_content() == "SIPAS theo tháng"
    assert page.get_by_text("Cần thêm ghế ngồi chờ.").count() == 40
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024  # no sideways scrolling
    result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    page.close()
    assert result.violations_count == 0, result.generate_report()
