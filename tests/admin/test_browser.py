"""In Chromium: an officer logs in, opens a counter's poster and prints it to PDF."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from tests.admin.conftest import World
from tests.factories import PASSWORD


@pytest.mark.browser
def test_officer_logs_in_and_prints_a_poster(browser: Browser, live_server: str, world: World) -> None:
    """Log in through the form, open the unit, open its poster: the QR image renders and the page prints."""
    page = browser.new_page(viewport={"width": 1024, "height": 768})  # a tablet in landscape
    page.goto(f"{live_server}/login")
    page.fill("#email", world.admin.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    page.goto(f"{live_server}/admin/units/03408")
    page.click(f"a[href='/admin/points/{world.point.id}/poster']")
    page.wait_for_url(f"{live_server}/admin/points/{world.point.id}/poster")
    qr = page.locator("img.qr")
    assert qr.count() == 1
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert qr.bounding_box()["width"] > 300  # 110 mm on screen: large enough to scan from a metre
    assert "Phường Tân Phong" in page.inner_text("body")
    pdf = page.pdf(format="A5", print_background=True)
    assert pdf.startswith(b"%PDF")
    page.close()


@pytest.mark.browser
def test_axe_finds_nothing_on_the_admin_pages(browser: Browser, live_server: str, world: World) -> None:
    """axe-core (WCAG 2.1 A/AA) finds no violation on the login page, the unit page and the audit log."""
    axe = Axe()
    rules = {"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
    page = browser.new_page(viewport={"width": 800, "height": 1100})  # a tablet upright
    page.goto(f"{live_server}/login")
    results = [axe.run(page, options=rules)]
    page.fill("#email", world.admin.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    for path in (
        "/admin/",
        "/admin/units/03408",
        "/admin/periods",
        "/admin/users",
        "/admin/audit",
        "/reports/03408",
    ):
        page.goto(f"{live_server}{path}")
        results.append(axe.run(page, options=rules))
    page.close()
    for result in results:
        assert result.violations_count == 0, result.generate_report()
