"""The survey form is built from the instrument and shows exactly the questions that apply."""

from __future__ import annotations

import re

from analysis.instrument import load_instrument
from tests.factories import make_open_point, make_period, make_point
from tests.survey_client import hidden, open_form

INS = load_instrument("sipas-2025")


def field_names(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))


def test_step_one_asks_the_screeners_in_vietnamese(db, client):
    """Step 1 shows S1 and B5.0 in Vietnamese with the purpose statement."""
    point = make_open_point()
    page = client.get(f"/s/{point.token}")
    assert page.status_code == 200
    assert field_names(page.text) == {"t", "lang", "S1", "B5.0"}
    assert "Hôm nay bạn đến để làm gì?" in page.text
    assert "không hỏi tên" in page.text
    assert 'lang="vi"' in page.text


def test_collecting_a_result_shows_result_questions(db, client):
    """S1 = 2 (collect a result) adds B4.1–B4.3; B5.0 = 1 adds B5.2–B5.3."""
    point = make_open_point()
    t, _ = open_form(client, point.token, **{"S1": "2", "B5.0": "1"})
    html = client.get(f"/s/{point.token}", query_string={"t": t, "S1": "2", "B5.0": "1"}).text
    service = {i.code for i in INS.index_items if i.element and i.element.startswith("B")}
    assert service <= field_names(html)
    assert {"A1", "A2", "A3", "A4", "policy_group", "B0", "E1", "C1", "P1", "P2"} <= field_names(html)


def test_handing_in_papers_hides_result_and_feedback_followups(db, client):
    """S1 = 1 and B5.0 = 2 leave out B4.* and B5.2–B5.3, keeping every other service item."""
    point = make_open_point()
    t, _ = open_form(client, point.token, **{"S1": "1", "B5.0": "2"})
    names = field_names(client.get(f"/s/{point.token}", query_string={"t": t, "S1": "1", "B5.0": "2"}).text)
    assert not names & {"B4.1", "B4.2", "B4.3", "B5.2", "B5.3"}
    assert {"B1.1", "B2.4", "B3.4", "B5.1"} <= names


def test_every_rating_offers_dont_know(db, client):
    """Each 5-point question carries the 'Không biết / không trả lời' option (code 9)."""
    point = make_open_point()
    t, _ = open_form(client, point.token, S1="2")
    html = client.get(f"/s/{point.token}", query_string={"t": t, "S1": "2"}).text
    rated = [
        n
        for n in field_names(html)
        if n in INS.items and INS.items[n].scale and INS.items[n].scale.id == "sat5"
    ] + ["A1", "A2", "A3", "A4"]
    for name in rated:
        assert re.search(rf'name="{re.escape(name)}" value="9"', html), name
    assert html.count("Không biết / không trả lời") == len(rated)


def test_english_version_on_request(db, client):
    """?lang=en renders the wording in English and remembers the choice."""
    point = make_open_point()
    page = client.get(f"/s/{point.token}?lang=en")
    assert "Why did you come today?" in page.text
    assert "Step 1 of 2" in page.text
    assert 'lang="en"' in page.text
    again = client.get(f"/s/{point.token}")
    assert "Why did you come today?" in again.text


def test_policy_group_assigned_by_rotation_and_switchable(db, client):
    """The form preselects one of the nine groups and lets the respondent pick another."""
    point = make_open_point()
    t, _ = open_form(client, point.token)
    html = client.get(f"/s/{point.token}", query_string={"t": t}).text
    options = re.findall(r'<option value="(G\d)"( selected)?>', html)
    assert [o for o, _ in options] == [f"G{i}" for i in range(1, 10)]
    assert len([o for o, sel in options if sel]) == 1


def test_unknown_token_gives_vietnamese_404(db, client):
    """An unknown QR token answers 404 with a Vietnamese page."""
    make_open_point()
    page = client.get("/s/not-a-real-token")
    assert page.status_code == 404
    assert "mã QR này không đúng" in page.text


def test_inactive_point_gives_404(db, client):
    """A deactivated counter's code no longer opens the survey."""
    make_period()
    point = make_point(active=False)
    db.session.commit()
    assert client.get(f"/s/{point.token}").status_code == 404


def test_closed_period_gives_410(db, client):
    """With no open period the survey answers 410 with a Vietnamese page."""
    make_period(is_open=False)
    point = make_point()
    db.session.commit()
    page = client.get(f"/s/{point.token}")
    assert page.status_code == 410
    assert "khảo sát" in page.text


def test_page_weight_under_30kb_compressed(db, client):
    """Step 2 with every question, gzip-compressed, stays well under the 30 KB budget."""
    point = make_open_point()
    t = hidden(client.get(f"/s/{point.token}").text, "t")
    page = client.get(
        f"/s/{point.token}",
        query_string={"t": t, "S1": "2", "B5.0": "1"},
        headers={"Accept-Encoding": "gzip"},
    )
    assert page.headers["Content-Encoding"] == "gzip"
    assert len(page.data) <= 30 * 1024
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.get_data(as_text=False).decode("latin-1"))


def test_security_headers_allow_only_our_own_nonced_script(db, client):
    """The survey answers with a strict CSP whose nonce is the one on its only inline script."""
    point = make_open_point()
    t = hidden(client.get(f"/s/{point.token}").text, "t")
    page = client.get(f"/s/{point.token}", query_string={"t": t})
    csp = page.headers["Content-Security-Policy"]
    nonces = re.findall(r'<script nonce="([^"]+)">', page.text)
    assert len(nonces) == 1 and f"script-src 'nonce-{nonces[0]}'" in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_odd_query_arguments_do_not_break_the_language_switch(db, client):
    """?token=…, ?_external=… and the like are ignored by the language links, not a 500."""
    point = make_open_point()
    page = client.get(f"/s/{point.token}?token=x&_external=1&_anchor=y&S1=2")
    assert page.status_code == 200
    link = re.search(r'<a href="([^"]+)"[^>]*hreflang="en"', page.text).group(1)
    assert link.startswith(f"/s/{point.token}?") and "S1=2" in link and "_external" not in link
