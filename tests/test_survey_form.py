"""The survey is built from the instrument: short pages, honest progress, nothing in the URL."""

from __future__ import annotations

import base64
import gzip
import re
import unicodedata

from babel.messages.pofile import read_po

from analysis.instrument import load_instrument
from survey.languages.codes import instrument_texts
from survey.models import Period
from survey.public import formload
from tests.factories import make_open_point, make_period, make_point
from tests.survey_client import hidden, open_form, post_answers, submit_survey, turn_page

INS = load_instrument("sipas-2025")


def field_names(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))


def shown_page(html: str) -> tuple[str, str]:
    """(id, html) of the one page section that is not hidden."""
    pages = re.findall(
        r'<section class="card page" id="p-([\w.-]+)" data-page="[^"]+"( hidden)?>(.*?)</section>', html, re.S
    )
    shown = [(pid, body) for pid, hid, body in pages if not hid]
    assert len(shown) == 1, [p for p, _ in shown]
    return shown[0]


def progress(html: str) -> str:
    return re.search(r'<p class="step" id="progtext">([^<]+)</p>', html).group(1)


def test_first_page_asks_the_screeners_respectfully(db, client):
    """The first page names the organiser, says what answers are for, asks S1 and B5.0 with 'Ông/Bà'."""
    point = make_open_point()
    page = client.get(f"/s/{point.token}")
    assert page.status_code == 200
    pid, body = shown_page(page.text)
    assert pid == "screen"
    assert field_names(body) == {"S1", "B5.0"}
    assert "Hôm nay Ông/Bà đến để làm gì?" in body
    assert "Sở Nội vụ tỉnh Lai Châu xin ý kiến của Ông/Bà" in body
    assert "chỉ số SIPAS" in body and "không hỏi tên" in body
    assert progress(page.text) == "Câu 1–2/23"
    assert " bạn " not in page.text.lower()
    assert 'lang="vi"' in page.text


def test_organiser_is_configurable(db, app, client):
    """SIPAS_ORGANISER names who runs the survey."""
    app.config["SIPAS_ORGANISER"] = "Sở Nội vụ tỉnh Điện Biên"
    point = make_open_point()
    assert "Sở Nội vụ tỉnh Điện Biên xin ý kiến" in client.get(f"/s/{point.token}").text


def walk(client, token: str, answers: dict[str, str]) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Press "Continue" from the first page to the last without JavaScript: (page, progress) each."""
    first = client.get(f"/s/{token}")
    t, csrf = hidden(first.text, "t"), hidden(first.text, "csrf_token")
    seen = [(shown_page(first.text)[0], progress(first.text))]
    while True:
        reply = turn_page(client, token, t, csrf, answers, page=seen[-1][0])
        assert reply.status_code == 200
        step = (shown_page(reply.text)[0], progress(reply.text))
        if step == seen[-1]:
            return seen
        seen.append(step)


def test_typical_path_page_by_page(db, client):
    """Handing in papers, no earlier feedback: nine short pages, numbered 1 to 23 without a gap."""
    point = make_open_point()
    assert walk(client, point.token, {"S1": "1", "B5.0": "2"}) == [
        ("screen", "Câu 1–2/23"),
        ("B1", "Câu 3–5/23"),
        ("B2", "Câu 6–9/23"),
        ("B3", "Câu 10–13/23"),
        ("B5", "Câu 14/23"),
        ("overall", "Câu 15/23"),
        ("policy", "Câu 16–19/23"),
        ("improve", "Câu 20–21/23"),
        ("profile", "Câu 22–23/23"),
    ]


def test_longest_path_page_by_page(db, client):
    """Collecting a result after earlier feedback adds the result page and two feedback questions: 28."""
    point = make_open_point()
    steps = walk(client, point.token, {"S1": "2", "B5.0": "1"})
    assert [p for p, _ in steps] == [
        "screen",
        "B1",
        "B2",
        "B3",
        "B4",
        "B5",
        "overall",
        "policy",
        "improve",
        "profile",
    ]
    assert dict(steps)["B4"] == "Câu 14–16/28"
    assert dict(steps)["B5"] == "Câu 17–19/28"
    assert dict(steps)["profile"] == "Câu 27–28/28"


def test_every_page_has_at_most_five_questions(db, client):
    """No page of the longest path asks more than five questions."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    html = turn_page(client, point.token, t, csrf, {"S1": "2", "B5.0": "1"}, page="screen").text
    pages = re.findall(r'<section class="card page"[^>]*>(.*?)</section>', html, re.S)
    assert len(pages) == 10
    for body in pages:
        assert 1 <= len(re.findall(r'class="q[ "]', body)) <= 5


def test_skipped_questions_are_drawn_disabled(db, client):
    """With S1 = 1 the result questions are in the page for the phone's script, but hidden and disabled."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    html = turn_page(client, point.token, t, csrf, {"S1": "1"}, page="screen").text
    fieldset = re.search(r'<fieldset class="q" id="q-B4-1"[^>]*>', html).group(0)
    assert "hidden disabled" in fieldset and 'data-when="S1:2"' in fieldset


def test_back_keeps_answers(db, client):
    """ "Back" shows the previous page with its answers chosen."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    reply = turn_page(
        client, point.token, t, csrf, {"S1": "2", "B1.1": "4", "page": "B2"}, page="B2", nav="back"
    )
    pid, body = shown_page(reply.text)
    assert pid == "B1"
    assert re.search(r'name="B1.1" value="4" checked', body)


def test_changing_the_screener_drops_answers_that_no_longer_apply(db, client):
    """Going back and changing S1 from 2 to 1 removes the result answers instead of refusing them."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    reply = turn_page(client, point.token, t, csrf, {"S1": "1", "B4.1": "5", "B1.1": "3"}, page="screen")
    assert reply.status_code == 200
    assert shown_page(reply.text)[0] == "B1"
    assert not re.search(r'name="B4.1" value="5" checked', reply.text)
    assert re.search(r'name="B1.1" value="3" checked', reply.text)


def test_dont_know_this_policy_skips_the_block(db, client):
    """'Tôi không rõ chính sách này' drops the policy answers and moves on to the next page."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    reply = turn_page(
        client, point.token, t, csrf, {"A1": "4", "policy_group": "G2"}, page="policy", nav="skip"
    )
    pid, _body = shown_page(reply.text)
    assert pid == "improve"
    assert progress(reply.text) == "Câu 20–21/23"
    assert not re.search(r'name="A1" value="4" checked', reply.text)


def test_too_many_choices_stop_the_page_with_a_linked_error(db, client):
    """Three choices in E1: 422 on the same page, an error summary on top linking to question 20."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    reply = turn_page(client, point.token, t, csrf, {"E1": ["1", "2", "3"]}, page="improve")
    assert reply.status_code == 422
    assert shown_page(reply.text)[0] == "improve"
    summary = re.search(
        r'<div class="errsum" role="alert" tabindex="-1" id="errsum" autofocus>(.*?)</div>', reply.text, re.S
    )
    assert summary is not None
    assert re.search(r'<a href="#E1-1">Câu 20: Chọn tối đa 2\.</a>', summary.group(1))
    assert 'id="E1-1"' in reply.text
    assert reply.text.index('id="errsum"') < reply.text.index('id="survey"')


def test_every_rating_offers_dont_know_as_a_face(db, client):
    """Each 5-point question is a picture scale of five faces and 'Không biết / không trả lời' (code 9)."""
    point = make_open_point()
    html = client.get(f"/s/{point.token}").text
    rated = [i for i in INS.items.values() if i.scale and i.scale.id == "sat5" and not i.group] + list(
        INS.policy_items("G1")
    )
    names = {i.element if i.group else i.code for i in rated}
    assert len(names) == 22  # 17 service items, B0 and the 4 policy elements
    for name in names:
        face = '<svg viewBox="0 0 40 40" aria-hidden="true"><use href="#f9"/></svg>'
        assert re.search(
            rf'name="{re.escape(name)}" value="9">{face}<span class="sr">Không biết / không trả lời</span>',
            html,
        ), name
    assert html.count('<use href="#f1"/>') == 22


def test_english_version_on_request(db, client):
    """?lang=en renders the wording in English and remembers the choice."""
    point = make_open_point()
    page = client.get(f"/s/{point.token}?lang=en")
    assert "Why did you come today?" in page.text
    assert "Questions 1–2 of 23" in page.text
    assert 'lang="en"' in page.text
    again = client.get(f"/s/{point.token}")
    assert "Why did you come today?" in again.text


def test_language_button_keeps_the_answers(db, client):
    """Changing language on a later page posts the answers: the same page comes back in English."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    reply = client.post(
        f"/s/{point.token}",
        data={
            "t": t,
            "csrf_token": csrf,
            "page": "B1",
            "S1": "2",
            "B1.2": "5",
            "setlang": "en",
            "lang": "vi",
        },
    )
    assert reply.status_code == 200
    assert shown_page(reply.text)[0] == "B1"
    assert "There are enough seats" in reply.text
    assert re.search(r'name="B1.2" value="5" checked', reply.text)


def test_language_menu_names_each_language_in_itself(db, client):
    """The menu offers 'Tiếng Việt' and 'English', each marked with its language."""
    point = make_open_point()
    html = client.get(f"/s/{point.token}").text
    assert re.search(r'<span class="cur" lang="vi" aria-current="true">Tiếng Việt</span>', html)
    assert re.search(
        r'<button form="survey" type="submit" name="setlang" value="en" lang="en">English</button>', html
    )


def test_policy_group_assigned_by_rotation_and_switchable(db, client):
    """The form preselects one of the nine groups and lets the respondent pick another."""
    point = make_open_point()
    html = client.get(f"/s/{point.token}").text
    options = re.findall(r'<option value="(G\d)"( selected)?>', html)
    assert [o for o, _ in options] == [f"G{i}" for i in range(1, 10)]
    assert len([o for o, sel in options if sel]) == 1


def test_no_answer_and_no_readable_token_in_any_url(db, client):
    """Every form posts; the form-load token is ciphertext that reveals nothing without the key."""
    point = make_open_point()
    html = client.get(f"/s/{point.token}").text
    assert re.findall(r'<form method="(\w+)"', html) == ["post"]
    t = hidden(html, "t")
    raw = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
    load = formload.read(t)
    assert load is not None
    key = base64.urlsafe_b64decode(load.key + "==")
    assert len(key) == 16 and key not in raw and load.key not in t  # the idempotency key is sealed
    assert "." not in t  # not a signed-but-readable payload
    assert not re.search(r'href="[^"]*[?&](t|S1|B[0-9.]+)=', html)


def test_form_load_token_cannot_be_read_or_forged_without_the_key(db, app, client):
    """Another secret key reads nothing; a flipped byte is refused."""
    point = make_open_point()
    t = hidden(client.get(f"/s/{point.token}").text, "t")
    with app.test_request_context():
        assert formload.read(t) is not None
        flipped = t[:20] + ("A" if t[20] != "A" else "B") + t[21:]
        assert formload.read(flipped) is None
        app.config["SECRET_KEY"] = "another-key"
        assert formload.read(t) is None


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


def test_every_page_and_the_script_stay_under_30kb_compressed(db, client):
    """Each page of the longest path with the script, gzip-compressed, is within the 30 KB budget."""
    point = make_open_point()
    first = client.get(f"/s/{point.token}", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(first.data).decode()
    script = re.search(r'<script src="(/assets/survey-\w+\.js)"', html).group(1)
    js = client.get(script, headers={"Accept-Encoding": "gzip"})
    assert js.headers["Content-Encoding"] == "gzip" and "immutable" in js.headers["Cache-Control"]
    t, csrf = hidden(html, "t"), hidden(html, "csrf_token")
    weights = [len(first.data)]
    page = "screen"
    for _ in range(9):
        reply = client.post(
            f"/s/{point.token}",
            data={"t": t, "csrf_token": csrf, "page": page, "nav": "next", "S1": "2", "B5.0": "1"},
            headers={"Accept-Encoding": "gzip"},
        )
        page = shown_page(gzip.decompress(reply.data).decode())[0]
        weights.append(len(reply.data))
    assert page == "profile"
    assert max(weights) + len(js.data) <= 30 * 1024, weights
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)


def test_security_headers_allow_only_our_own_nonced_script(db, client):
    """The survey answers with a strict CSP whose nonce is the one on its only script, from our host."""
    point = make_open_point()
    page = client.get(f"/s/{point.token}")
    csp = page.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert len(scripts) == 1
    nonce = re.search(r'nonce="([^"]+)"', scripts[0]).group(1)
    assert f"script-src 'nonce-{nonce}'" in csp and 'src="/assets/survey-' in scripts[0]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_odd_query_arguments_do_not_break_the_page(db, client):
    """?token=…, ?_external=… and old step-2 links are ignored: a fresh first page, no 500."""
    point = make_open_point()
    page = client.get(f"/s/{point.token}?token=x&_external=1&_anchor=y&S1=2&t=old")
    assert page.status_code == 200
    assert shown_page(page.text)[0] == "screen"
    assert not re.search(r'name="S1" value="2" checked', page.text)


# "bạn" as a word, in any case; the text is compared in NFC, as the catalogues store it.
BAN = re.compile(r"\bbạn\b", re.IGNORECASE)
CITIZEN_SOURCES = (
    "templates/public/",
    "templates/errors/",
    "templates/cases/_callback.html",
    "templates/cases/_channels.html",
    "templates/cases/citizen.html",
    "templates/cases/lookup.html",
    "survey/public/",
    "survey/cases/citizen.py",
    "survey/errors.py",
    "survey/faults.py",
)


def without_ban(text: str) -> list[str]:
    """Each occurrence of 'bạn' with a little context, for a readable failure."""
    text = unicodedata.normalize("NFC", text)
    return [text[max(0, m.start() - 40) : m.end() + 40] for m in BAN.finditer(text)]


def test_no_citizen_wording_says_ban(db, client):
    """Citizens are "Ông/Bà": in the instrument's Vietnamese, the citizen catalogue strings, every page."""
    assert without_ban("Bạn có thể đóng trang này.")  # the check itself finds the word
    found = [t for t in instrument_texts(INS, "vi").values() if without_ban(t)]
    with open("survey/translations/vi/LC_MESSAGES/messages.po", "rb") as po:
        catalogue = read_po(po, locale="vi")
    for message in catalogue:
        if message.id and any(path.startswith(CITIZEN_SOURCES) for path, _line in message.locations):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            found += [s for s in strings if without_ban(s)]

    point = make_open_point()
    pages = [client.get(f"/s/{point.token}")]  # every page of the survey is in the document
    t, csrf = open_form(client, point.token)
    pages.append(turn_page(client, point.token, t, csrf, {"E1": ["1", "2", "3"]}, page="improve"))
    pages.append(turn_page(client, point.token, t, csrf, {"policy_group": "G1"}, page="policy", nav="skip"))
    sent = post_answers(client, point.token, t, csrf, {"S1": "1", "C1": "Cần thêm ghế ngồi."})
    pages.append(client.get(sent.headers["Location"]))  # thanks, with the comment's case code
    pages.append(submit_survey(client, point.token, {"S1": "1"}))
    pages[-1] = client.get(pages[-1].headers["Location"])  # thanks, without a comment
    pages.append(client.get("/s/not-a-real-token"))
    db.session.query(Period).update({"is_open": False})
    db.session.commit()
    pages.append(client.get(f"/s/{point.token}"))  # closed
    assert [p.status_code for p in pages] == [200, 422, 200, 200, 200, 404, 410]
    for page in pages:
        found += without_ban(page.text)
    assert found == []


def test_error_summary_links_each_question_with_its_number(db, client):
    """Two refused answers on different pages: one link each, in question order, numbered as on the path."""
    point = make_open_point()
    t, csrf = open_form(client, point.token)
    reply = post_answers(client, point.token, t, csrf, {"S1": "2", "B1.2": "7", "E1": ["1", "2", "3"]})
    assert reply.status_code == 422
    summary = re.search(r'<div class="errsum"[^>]*id="errsum"[^>]*>(.*?)</div>', reply.text, re.S).group(1)
    links = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary)
    assert links == [
        ("B1-2-1", "Câu 4: Câu trả lời này không có trong các lựa chọn."),
        ("E1-1", "Câu 23: Chọn tối đa 2."),
    ]
    for anchor, _text in links:  # each link lands on an input of a page that is shown
        section = re.search(
            rf'<section class="card page"[^>]*>(?:(?!</section>).)*id="{anchor}"', reply.text, re.S
        )
        assert section is not None and " hidden>" not in section.group(0).split("\n", 1)[0]
