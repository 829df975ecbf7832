"""Helpers that walk the survey like a phone does: step 1, step 2, submit."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient


def hidden(html: str, name: str) -> str:
    """Value of a hidden input in a page."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    if match is None:
        raise AssertionError(f"no hidden field {name!r} in page")
    return match.group(1)


def open_form(client: FlaskClient, token: str, **screen: str) -> tuple[str, str]:
    """Load step 1, then step 2 with the screener answers; return (form-load token, csrf)."""
    first = client.get(f"/s/{token}")
    assert first.status_code == 200
    t = hidden(first.text, "t")
    second = client.get(f"/s/{token}", query_string={"t": t, **screen})
    assert second.status_code == 200
    return t, hidden(second.text, "csrf_token")


def post_answers(client: FlaskClient, token: str, t: str, csrf: str, answers: dict[str, Any]):  # type: ignore[no-untyped-def]
    """POST answers (field name -> value or list of values) with the form's hidden fields."""
    return client.post(f"/s/{token}", data={"t": t, "csrf_token": csrf, **answers})
