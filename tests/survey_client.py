"""Helpers that answer the survey like a phone does: open the first page, post the answers.

Every page of the survey is one form that posts all answers given so far (no answer and no
readable token in any URL), so a test may post a whole survey at once with `post_answers`,
or turn the pages one by one without JavaScript with `turn_page`.
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

__all__ = ["hidden", "open_form", "post_answers", "submit_survey", "turn_page"]


def hidden(html: str, name: str) -> str:
    """Value of a hidden input in a page."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    if match is None:
        raise AssertionError(f"no hidden field {name!r} in page")
    return match.group(1)


def open_form(client: FlaskClient, token: str, **screen: str) -> tuple[str, str]:
    """Load the first page (and turn it with the screener answers, if any); return (t, csrf).

    `t` is the encrypted form-load token (its idempotency key makes a retry store one row).
    """
    first = client.get(f"/s/{token}")
    assert first.status_code == 200, first.status_code
    t, csrf = hidden(first.text, "t"), hidden(first.text, "csrf_token")
    if screen:
        turned = turn_page(client, token, t, csrf, screen, page="screen")
        assert turned.status_code == 200, turned.status_code
    return t, csrf


def post_answers(client: FlaskClient, token: str, t: str, csrf: str, answers: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Send answers (field name -> value or list of values) with the form's hidden fields."""
    return client.post(f"/s/{token}", data={"t": t, "csrf_token": csrf, **answers})


def turn_page(  # type: ignore[no-untyped-def]
    client: FlaskClient,
    token: str,
    t: str,
    csrf: str,
    answers: dict[str, Any],
    page: str,
    nav: str = "next",
):
    """Press a page's button without JavaScript (next, back, skip): the next page comes back."""
    return client.post(f"/s/{token}", data={"t": t, "csrf_token": csrf, "page": page, "nav": nav, **answers})


def submit_survey(client: FlaskClient, token: str, answers: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Open a fresh form and send `answers` in one go; return the reply to the send."""
    t, csrf = open_form(client, token)
    return post_answers(client, token, t, csrf, answers)
