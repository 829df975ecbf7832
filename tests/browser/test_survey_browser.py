"""A citizen answers the survey in a real browser at phone size, with and without JavaScript."""

from __future__ import annotations

import math
import re
import statistics
import time
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from survey.models import Answer, Period, Response
from survey.public import estimate, formload
from survey.responses import store_response
from tests.browser_fixtures import PHONE
from tests.factories import make_open_point

pytestmark = pytest.mark.browser
WCAG = {"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
# What the citizen of the typical test chooses, page by page: (page, [(question box, option label)]).
ANSWERS = [
    ("Câu 1–2/26", [("#q-S1", "Nhận kết quả"), ("#q-B5-0", "Không")]),
    ("Câu 3–5/26", [("#q-B1-1", "Hài lòng"), ("#q-B1-2", "Rất không hài lòng")]),
    ("Câu 6–9/26", [("#q-B2-3", "Không biết / không trả lời")]),
    ("Câu 10–13/26", [("#q-B3-1", "Rất hài lòng")]),
    ("Câu 14–16/26", [("#q-B4-1", "Rất hài lòng")]),
    ("Câu 17/26", []),
    ("Câu 18/26", [("#q-B0", "Bình thường")]),
    ("Câu 19–22/26", [("#q-A1", "Không hài lòng")]),
    ("Câu 23–24/26", [("#q-E1", "Thủ tục hành chính (giấy tờ, phí, thời gian)")]),
    ("Câu 25–26/26", [("#q-P2", "60 tuổi trở lên")]),
]
STORED = {
    ("S1", 2, None),
    ("B5.0", 2, None),
    ("B1.1", 4, None),
    ("B1.2", 1, None),
    ("B2.3", 9, None),
    ("B3.1", 5, None),
    ("B4.1", 5, None),
    ("B0", 3, None),
    ("A1.G2", 2, None),
    ("E1", 2, None),
    ("C1", None, "Cần thêm ghế."),
    ("P2", 4, None),
}


@pytest.fixture(params=["js", "nojs"])
def citizen(request: pytest.FixtureRequest, browser: Browser):  # type: ignore[no-untyped-def]
    """A phone-sized page with JavaScript on, then off."""
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        java_script_enabled=request.param == "js",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.js_on = request.param == "js"  # type: ignore[attr-defined]
    yield page
    context.close()


def choose(page: Page, box: str, label: str) -> None:
    page.locator(box).get_by_label(label, exact=True).check()


def progress(page: Page) -> str:
    return page.locator("#progtext").inner_text()


def next_page(page: Page) -> None:
    """Press "Tiếp tục" and wait until the next page shows (without JavaScript a page load:
    reading the page before the load has finished would read an empty document)."""
    before = progress(page)
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.locator("#progtext")).not_to_have_text(before)
    page.wait_for_load_state()


def answer_all(page: Page, url: str, pages_seen: list[str] | None = None) -> None:
    """Answer page by page as in ANSWERS, checking the progress, up to the last page (not sent)."""
    page.goto(url)
    for n, (_progress, choices) in enumerate(ANSWERS):
        for box, label in choices:
            choose(page, box, label)
        if n == 7:
            page.get_by_label("Lĩnh vực chính sách").select_option("G2")
        if n == 8:
            page.get_by_label("Ông/Bà muốn góp ý").fill("Cần thêm ghế.")
        if pages_seen is not None:
            pages_seen.append(progress(page))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if n < len(ANSWERS) - 1:
            next_page(page)


def stored_answers(db) -> set[tuple[str, int | None, str | None]]:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return {(a.item_code, a.value, a.text) for a in db.session.scalars(select(Answer))}


def test_full_flow_page_by_page(db, live_server, citizen):
    """At 360 px, with and without JavaScript: ten pages, the right progress, faces stored as codes."""
    point = make_open_point()
    hosts: set[str] = set()
    citizen.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    seen: list[str] = []
    answer_all(citizen, f"{live_server}/s/{point.token}", seen)
    # Without JavaScript the first page can only count the shortest path until S1 is sent.
    first = "Câu 1–2/26" if citizen.js_on else "Câu 1–2/23"
    assert seen == [first] + [expected for expected, _ in ANSWERS[1:]]
    citizen.get_by_role("button", name="Gửi câu trả lời").click()
    citizen.get_by_role("heading", name="Xin cảm ơn!").wait_for()
    assert citizen.url.endswith(f"/s/{point.token}/thanks")
    assert stored_answers(db) == STORED
    assert db.session.scalars(select(Response)).one().policy_group == "G2"
    assert hosts == {urlparse(live_server).netloc}


def test_error_summary_links_focus_the_question(db, live_server, citizen):
    """A refused answer: the summary on top takes the focus, its link moves the focus to the question."""
    point = make_open_point()
    citizen.goto(f"{live_server}/s/{point.token}")
    for _ in range(7):
        citizen.get_by_role("button", name="Tiếp tục").click()
    boxes = citizen.locator("#q-E1 input[type=checkbox]")
    if citizen.js_on:  # the phone's script forbids a third choice: tick three as a tampered page would
        boxes.evaluate_all("(bs) => bs.slice(0, 3).forEach((b) => { b.disabled = false; b.checked = true; })")
    else:
        for i in range(3):
            boxes.nth(i).check()
    citizen.get_by_role("button", name="Tiếp tục").click()
    if citizen.js_on:  # pages turn on the phone: the server checks at the send
        citizen.get_by_role("button", name="Gửi câu trả lời").click()
    summary = citizen.locator("#errsum")
    summary.wait_for()
    assert citizen.evaluate("document.activeElement.id") == "errsum"
    if citizen.js_on:
        result = Axe().run(citizen, options=WCAG)
        assert result.violations_count == 0, result.generate_report()
    summary.get_by_role("link", name="Câu 20: Chọn tối đa 2.").click()
    assert citizen.evaluate("document.activeElement.id") == "E1-1"
    assert citizen.locator("#q-E1").is_visible()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_offline_send_survives_a_reload_and_stores_once(db, live_server, browser):
    """Offline at send: 'Chưa gửi được — thử lại', answers kept; the page closed and opened again has them."""
    point = make_open_point()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    answer_all(page, f"{live_server}/s/{point.token}")
    context.set_offline(True)
    page.get_by_role("button", name="Gửi câu trả lời").click()
    page.get_by_text("Chưa gửi được — thử lại").wait_for()
    assert page.locator("#q-P2").get_by_label("60 tuổi trở lên").is_checked()
    page.close()  # the phone drops the tab; later, with a signal, the person opens the survey again
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{live_server}/s/{point.token}")
    assert progress(page) == "Câu 25–26/26"
    assert page.locator("#q-P2").get_by_label("60 tuổi trở lên").is_checked()
    page.get_by_role("button", name="Gửi câu trả lời").click()
    page.get_by_role("heading", name="Xin cảm ơn!").wait_for()
    page.reload()  # the thank-you page again, nothing sent twice
    page.goto(f"{live_server}/s/{point.token}")
    assert progress(page) == "Câu 1–2/23"  # the phone's storage was cleared after the send
    context.close()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert stored_answers(db) == STORED


def test_send_retries_by_itself_when_the_signal_returns(db, live_server, browser):
    """A failed send is retried when the phone is back online, with no tap needed, and stored once."""
    point = make_open_point()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    answer_all(page, f"{live_server}/s/{point.token}")
    context.set_offline(True)
    page.get_by_role("button", name="Gửi câu trả lời").click()
    page.get_by_text("Chưa gửi được — thử lại").wait_for()
    context.set_offline(False)
    page.get_by_role("heading", name="Xin cảm ơn!").wait_for()
    assert page.url.endswith("/thanks")
    context.close()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_a_send_that_arrived_but_whose_answer_was_lost_is_stored_once(db, live_server, browser):
    """The first send is stored but its answer is lost; the retry (same form load) stores nothing new."""
    point = make_open_point()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    answer_all(page, f"{live_server}/s/{point.token}")

    pattern = f"**/s/{point.token}"

    def lose_the_answer(route):  # type: ignore[no-untyped-def]
        route.fetch(max_redirects=0)  # the server stores the response …
        route.abort()  # … and the phone never hears back
        page.unroute(pattern, lose_the_answer)

    page.route(pattern, lose_the_answer)
    page.get_by_role("button", name="Gửi câu trả lời").click()
    page.get_by_text("Chưa gửi được — thử lại").wait_for()
    page.get_by_role("button", name="Thử lại ngay").click()
    page.get_by_role("heading", name="Xin cảm ơn!").wait_for()
    context.close()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_axe_finds_nothing_on_any_page(db, live_server, citizen, browser):
    """axe-core (WCAG 2.1 A/AA) finds nothing on each of the ten pages, an error page and the thank-you page.

    axe is a script: for the pages drawn without JavaScript, their HTML is checked in a second
    page (with the survey's own script left out), so what is checked is what that phone showed.
    """
    point = make_open_point()
    axe = Axe()
    checker = browser.new_context(viewport=PHONE).new_page()

    def audit(where: object) -> tuple[object, object]:
        if citizen.js_on:
            return where, axe.run(citizen, options=WCAG)
        checker.set_content(re.sub(r"<script[^>]*></script>", "", citizen.content()))
        return where, axe.run(checker, options=WCAG)

    citizen.goto(f"{live_server}/s/{point.token}")
    choose(citizen, "#q-S1", "Nhận kết quả")
    results = []
    for n in range(10):
        results.append(audit(n))
        if n < 9:
            next_page(citizen)
    choose(citizen, "#q-P1", "Nữ")
    citizen.get_by_role("button", name="Gửi câu trả lời").click()
    citizen.get_by_role("heading", name="Xin cảm ơn!").wait_for()
    results.append(audit("thanks"))
    citizen.goto(f"{live_server}/s/unknown")
    results.append(audit("404"))
    checker.context.close()
    for where, result in results:
        assert result.violations_count == 0, (where, result.generate_report())


def test_choose_at_most_two_is_enforced_on_the_phone(db, live_server, phone):
    """With JavaScript, once two areas are chosen the others cannot be ticked."""
    point = make_open_point()
    phone.goto(f"{live_server}/s/{point.token}")
    for _ in range(7):
        phone.get_by_role("button", name="Tiếp tục").click()
    boxes = phone.locator("#q-E1 input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    assert [boxes.nth(i).is_disabled() for i in range(6)] == [False, False, True, True, True, True]
    boxes.nth(0).uncheck()
    assert not boxes.nth(4).is_disabled()


def test_answers_survive_a_reload_mid_survey(db, live_server, phone):
    """A reload on page 3 brings back the same page with every answer chosen so far."""
    point = make_open_point()
    phone.goto(f"{live_server}/s/{point.token}")
    choose(phone, "#q-S1", "Nộp hồ sơ")
    phone.get_by_role("button", name="Tiếp tục").click()
    choose(phone, "#q-B1-3", "Hài lòng")
    phone.get_by_role("button", name="Tiếp tục").click()
    phone.reload()
    assert progress(phone) == "Câu 6–9/23"
    phone.get_by_role("button", name="Quay lại").click()
    assert phone.locator("#q-B1-3").get_by_label("Hài lòng", exact=True).is_checked()


def test_phone_back_button_turns_back_a_page(db, live_server, phone):
    """The phone's own Back goes to the previous page of the survey, not away from it."""
    point = make_open_point()
    phone.goto(f"{live_server}/s/{point.token}")
    phone.get_by_role("button", name="Tiếp tục").click()
    phone.get_by_role("button", name="Tiếp tục").click()
    phone.go_back()
    assert progress(phone) == "Câu 3–5/23"
    assert re.search(r"/s/[\w-]+$", phone.url)


# The typical path (handing in papers, no earlier feedback: 23 questions on 9 pages), answered
# as a typical respondent does: every rating, the policy area offered, two areas to improve, no
# comment. (page progress, [(question box, option label)]) in the order the phone shows them.
TYPICAL = [
    ("Câu 1–2/23", [("#q-S1", "Nộp hồ sơ"), ("#q-B5-0", "Không")]),
    ("Câu 3–5/23", [("#q-B1-1", "Hài lòng"), ("#q-B1-2", "Bình thường"), ("#q-B1-3", "Hài lòng")]),
    (
        "Câu 6–9/23",
        [
            ("#q-B2-1", "Rất hài lòng"),
            ("#q-B2-2", "Hài lòng"),
            ("#q-B2-3", "Hài lòng"),
            ("#q-B2-4", "Không biết / không trả lời"),
        ],
    ),
    (
        "Câu 10–13/23",
        [
            ("#q-B3-1", "Hài lòng"),
            ("#q-B3-2", "Hài lòng"),
            ("#q-B3-3", "Không hài lòng"),
            ("#q-B3-4", "Hài lòng"),
        ],
    ),
    ("Câu 14/23", [("#q-B5-1", "Bình thường")]),
    ("Câu 15/23", [("#q-B0", "Hài lòng")]),
    (
        "Câu 16–19/23",
        [("#q-A1", "Hài lòng"), ("#q-A2", "Bình thường"), ("#q-A3", "Hài lòng"), ("#q-A4", "Rất hài lòng")],
    ),
    (
        "Câu 20–21/23",
        [
            ("#q-E1", "Thủ tục hành chính (giấy tờ, phí, thời gian)"),
            ("#q-E1", "Thái độ và cách hướng dẫn của cán bộ"),
        ],
    ),
    ("Câu 22–23/23", [("#q-P1", "Nữ"), ("#q-P2", "45–59 tuổi")]),
]
# The same answers as codes; the policy items are stored under the group the respondent answered.
TYPICAL_STORED = {
    ("S1", 1),
    ("B5.0", 2),
    ("B1.1", 4),
    ("B1.2", 3),
    ("B1.3", 4),
    ("B2.1", 5),
    ("B2.2", 4),
    ("B2.3", 4),
    ("B2.4", 9),
    ("B3.1", 4),
    ("B3.2", 4),
    ("B3.3", 2),
    ("B3.4", 4),
    ("B5.1", 3),
    ("B0", 4),
    ("A1.{g}", 4),
    ("A2.{g}", 3),
    ("A3.{g}", 4),
    ("A4.{g}", 5),
    ("E1", 2),
    ("E1", 3),
    ("P1", 2),
    ("P2", 3),
}
READ_CHARS_PER_S = 7.0  # a slow reader: about 100 Vietnamese syllables a minute, half a fluent pace
TAP_S = 2.0  # finding an answer on a small screen and tapping it
TURN_S = 1.5  # tapping "Tiếp tục" (or "Gửi") and looking at the new page
# Earlier respondents at the counter: 29 answering times, so this response is the 30th, the
# fewest the survey needs before it promises a measured time instead of 12 s a question.
EARLIER_S = [300 + 25 * i for i in range(29)]


class ScriptedClock:
    """The phone's clock and the server's, moved on together by the respondent's scripted pauses.

    The phone runs Playwright's fake clock; the server's form-load token reads real time plus
    the pauses so far. Everything else is real: the server stamps the form load when it serves
    the first page and measures the duration when the answers arrive, as in production.
    """

    def __init__(self, page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
        self.page, self.paused = page, 0.0
        page.clock.install()
        clock = self

        class Shifted(datetime):
            @classmethod
            def now(cls, tz=None):  # type: ignore[no-untyped-def]
                return datetime.now(tz) + timedelta(seconds=clock.paused)

        monkeypatch.setattr(formload, "time", SimpleNamespace(time=lambda: time.time() + clock.paused))
        monkeypatch.setattr(formload, "datetime", Shifted)

    def pause(self, seconds: float) -> None:
        self.paused += seconds
        self.page.clock.fast_forward(round(seconds * 1000))


def test_typical_path_timed_at_a_slow_readers_pace(db, live_server, phone, monkeypatch):
    """A slow reader answers the typical path at 360 px with JavaScript; the pauses are scripted.

    Assumptions: each question is read at 7 characters a second (its text and its options as
    the phone shows them), each answer takes 2 s to find and tap, each page turn 1.5 s; no
    comment is typed. The pauses are not slept: the phone's and the server's clocks move on by
    them (ScriptedClock), so the run takes seconds while the survey measures minutes. Checked:
    one response with exactly the answers given; its stored duration is the pauses' sum, give
    or take the run's own wall time; before it the first page promised the fallback 23 × 12 s
    (5 minutes), after it (30 responses) the median of the stored answering times.
    """
    point = make_open_point()
    period = db.session.scalars(select(Period)).one()
    for seconds in EARLIER_S:
        store_response(
            point=point, period=period, answers={}, policy_group=None, language="vi", duration_s=seconds
        )
    db.session.commit()
    clock = ScriptedClock(phone, monkeypatch)
    started = time.monotonic()
    phone.goto(f"{live_server}/s/{point.token}")
    assert phone.locator("#time").inner_text().startswith("Thời gian trả lời: khoảng 5 phút.")
    group = phone.locator("#policy_group").input_value()
    for n, (expected, choices) in enumerate(TYPICAL):
        assert progress(phone) == expected
        shown = phone.locator(".page:not([hidden]) .q:not([hidden])")
        for text in shown.all_inner_texts():
            clock.pause(len(text) / READ_CHARS_PER_S)
        for box, label in choices:
            clock.pause(TAP_S)
            choose(phone, box, label)
        clock.pause(TURN_S)
        last = n == len(TYPICAL) - 1
        phone.get_by_role("button", name="Gửi câu trả lời" if last else "Tiếp tục").click()
    phone.get_by_role("heading", name="Xin cảm ơn!").wait_for()
    wall = time.monotonic() - started

    db.session.expire_all()
    response = db.session.scalars(select(Response).where(Response.duration_s.not_in(EARLIER_S))).one()
    assert db.session.scalar(select(func.count()).select_from(Response)) == len(EARLIER_S) + 1
    answers = db.session.scalars(select(Answer).where(Answer.response_id == response.id)).all()
    assert {(a.item_code, a.value) for a in answers} == {(c.format(g=group), v) for c, v in TYPICAL_STORED}
    assert response.policy_group == group
    assert 5 * 60 < clock.paused < 15 * 60  # minutes of reading, not the seconds the run took
    assert math.floor(clock.paused) <= response.duration_s <= clock.paused + wall + 1

    estimate.forget()  # the figure is kept per process for ten minutes; read it afresh
    phone.goto(f"{live_server}/s/{point.token}")
    measured = statistics.median([*EARLIER_S, response.duration_s])
    assert (
        phone.locator("#time")
        .inner_text()
        .startswith(f"Thời gian trả lời: khoảng {math.ceil(measured / 60)} phút.")
    )


def test_dont_know_this_policy_skips_the_block_in_one_tap(db, live_server, citizen):
    """One policy area of four questions; one tap on 'Tôi không rõ chính sách này' drops them and moves on."""
    point = make_open_point()
    citizen.goto(f"{live_server}/s/{point.token}")
    choose(citizen, "#q-S1", "Nộp hồ sơ")
    for _ in range(6):
        citizen.get_by_role("button", name="Tiếp tục").click()
    assert progress(citizen) == "Câu 16–19/23"
    shown = citizen.locator(".page:not([hidden]) .q:not([hidden])")
    assert [shown.nth(i).get_attribute("id") for i in range(shown.count())] == [
        "q-A1",
        "q-A2",
        "q-A3",
        "q-A4",
    ]
    choose(citizen, "#q-A1", "Hài lòng")
    citizen.get_by_role("button", name="Tôi không rõ chính sách này").click()
    assert progress(citizen) == "Câu 20–21/23"
    citizen.get_by_role("button", name="Quay lại").click()
    assert not citizen.locator("#q-A1").get_by_label("Hài lòng", exact=True).is_checked()
    for _ in range(2):
        citizen.get_by_role("button", name="Tiếp tục").click()
    citizen.get_by_role("button", name="Gửi câu trả lời").click()
    citizen.get_by_role("heading", name="Xin cảm ơn!").wait_for()
    assert stored_answers(db) == {("S1", 1, None)}
