"""The first page of a form load is drawn once per process and filled in per request.

What must hold: the kept page is byte for byte what drawing it anew gives (with this request's
tokens, nonce and policy group), and a change of anything the page shows is seen at once.
"""

from __future__ import annotations

import re

from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from survey.cases.settings import save_channels
from survey.instrument import instrument
from survey.models import Language, ServicePoint, Unit
from survey.public import formload
from survey.public.render import render_fresh, render_survey
from survey.security import csp_nonce
from tests.cases.conftest import CODE, submit_and_thank
from tests.factories import make_open_point
from tests.survey_client import hidden, post_answers

SELECTED = re.compile(r'<option value="([^"]+)" selected>')


def _kept(app) -> int:  # type: ignore[no-untyped-def]
    return len(app.extensions.get("sipas_fresh_pages", {}))


def test_kept_page_equals_a_page_drawn_anew(db, app):
    """For several policy groups, the kept page with the request's values is the drawn page."""
    point = make_open_point()
    groups = list(instrument().policy_groups)
    with app.test_request_context(f"/s/{point.token}"):
        render_fresh(db.session.get(ServicePoint, point.id), t=formload.issue(None), group=None)
    assert _kept(app) == 1
    for group in [*groups[:3], None]:
        with app.test_request_context(f"/s/{point.token}"):
            here = db.session.get(ServicePoint, point.id)
            t = formload.issue(group)
            kept, status = render_fresh(here, t=t, group=group)
            drawn, _ = render_survey(here, MultiDict(), t=t, fresh=True, group=group or "")
            assert status == 200
            assert kept == drawn
            # the values are this request's own
            assert hidden(kept, "csrf_token") == generate_csrf()
            assert hidden(kept, "t") == t
            assert f'nonce="{csp_nonce()}"' in kept
            assert SELECTED.findall(kept) == ([group] if group else [])
    assert _kept(app) == 1  # one counter, one language: one kept page


def test_each_load_gets_its_own_tokens_and_group(db, app, client):
    """Loads served from the kept page differ in t, nonce and group, and each one can be sent."""
    point = make_open_point()
    seen_t, seen_nonce, groups = set(), set(), []
    for _ in range(12):
        page = client.get(f"/s/{point.token}")
        t = hidden(page.text, "t")
        nonce = re.search(r'nonce="([^"]+)"', page.text).group(1)
        assert f"'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
        selected = SELECTED.findall(page.text)
        assert selected == [formload.read(t).group]  # the rotation's choice, and only it
        seen_t.add(t)
        seen_nonce.add(nonce)
        groups.append(selected[0])
    assert len(seen_t) == 12 and len(seen_nonce) == 12
    assert len(set(groups)) > 1  # the rotation moves on between loads
    assert _kept(app) == 1
    # the last kept-page load is a working form: its tokens store one response
    csrf = hidden(page.text, "csrf_token")
    sent = post_answers(client, point.token, t, csrf, {"B1.1": "4", "policy_group": groups[-1]})
    assert sent.status_code == 303


def test_changes_show_at_once(db, app, client):
    """A renamed unit or counter, a language's new name and a new organiser: the next load shows it."""
    point = make_open_point()
    first = client.get(f"/s/{point.token}").text
    assert "Sở Nội vụ tỉnh Lai Châu" in first and "Quầy 1" in first
    unit = db.session.get(Unit, point.unit_id)
    unit.name = "Trung tâm Phục vụ hành chính công tỉnh"
    db.session.get(ServicePoint, point.id).name = "Quầy Tư pháp"
    db.session.commit()
    second = client.get(f"/s/{point.token}").text
    assert "Trung tâm Phục vụ hành chính công tỉnh" in second and "Quầy Tư pháp" in second
    assert "Quầy 1" not in second

    db.session.add(Language(code="en", endonym="English (Lai Châu)", version=1))
    db.session.commit()
    assert "English (Lai Châu)" in client.get(f"/s/{point.token}").text

    app.config["SIPAS_ORGANISER"] = "UBND tỉnh Lai Châu"
    assert "UBND tỉnh Lai Châu xin ý kiến" in client.get(f"/s/{point.token}").text

    english = client.get(f"/s/{point.token}?lang=en").text
    assert 'lang="en"' in english and "Trung tâm Phục vụ hành chính công tỉnh" in english


def test_thank_you_page_shows_new_channels_at_once(db, app, client):
    """The channels are kept per setup version: saving them is seen on the next thank-you page."""
    point = make_open_point()
    before = client.get(f"/s/{point.token}/thanks").text
    assert "Đường dây nóng 0213 3 800 800" not in before
    with app.test_request_context():
        save_channels({"vi": "Đường dây nóng 0213 3 800 800", "en": "Hotline 0213 3 800 800"})
        db.session.commit()
    assert "Đường dây nóng 0213 3 800 800" in client.get(f"/s/{point.token}/thanks").text


def test_a_load_that_raced_a_change_is_not_kept_under_the_new_version(app):
    """A request that read setup version 1 and loads slowly while a request of version 2 resets
    the process's copy gets its own (old) value once; the copy of version 2 keeps version 2's."""
    from flask import g

    from survey.aggregates import lookups

    def slow_old_load() -> str:
        with app.app_context():  # meanwhile: a request after the change
            g.setup_version = ("db", 2)
            assert lookups.kept("channels", lambda: "new text") == "new text"
        return "old text"

    with app.app_context():
        g.setup_version = ("db", 1)
        assert lookups.kept("channels", slow_old_load) == "old text"
    with app.app_context():
        g.setup_version = ("db", 2)
        assert lookups.kept("channels", lambda: "loaded again") == "new text"
    with app.app_context():
        g.setup_version = ("db", 3)
        assert lookups.kept("channels", lambda: "third") == "third"


def test_kept_thank_you_page_equals_a_page_drawn_anew(db, app, client):
    """Served from the process's copy, the thank-you page is what drawing it gives, with this
    request's own nonce; a page with a case code to show is never kept."""
    from flask import render_template

    point = make_open_point()
    pages = [client.get(f"/s/{point.token}/thanks") for _ in range(3)]
    nonces = [re.search(r'nonce="([^"]+)"', page.text).group(1) for page in pages]
    assert len(set(nonces)) == 3
    for page, nonce in zip(pages, nonces, strict=True):
        assert f"'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
    assert len(app.extensions["sipas_thanks_pages"]) == 1
    with app.test_request_context(f"/s/{point.token}/thanks"):
        drawn = render_template("public/thanks.html", point=db.session.get(ServicePoint, point.id))
        assert pages[-1].text == drawn.replace(csp_nonce(), nonces[-1])
    assert f'data-sent="{point.token}"' in pages[-1].text

    # A comment opens a case: its code is shown once on a page drawn for that request.
    with_code = submit_and_thank(client, point, "Thái độ khó chịu ở quầy")
    assert CODE.search(with_code)
    assert len(app.extensions["sipas_thanks_pages"]) == 1
    again = client.get(f"/s/{point.token}/thanks").text  # the code was shown once: the kept page
    assert not CODE.search(again)
    assert again.replace(re.search(r'nonce="([^"]+)"', again).group(1), "N") == pages[-1].text.replace(
        nonces[-1], "N"
    )
