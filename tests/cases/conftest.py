"""Fixtures of the case tests: the administration tests' world and clients, and a survey walk."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from survey.models import ServicePoint
from tests.admin.conftest import (  # noqa: F401  (fixtures, used by name)
    World,
    _expiring_requests,
    as_admin,
    as_analyst,
    as_viewer,
    login,
    post,
    world,
)
from tests.survey_client import open_form, post_answers

CODE = re.compile(r"\b[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}\b")


def submit(client: FlaskClient, point: ServicePoint, comment: str | None = None, **answers: str):  # type: ignore[no-untyped-def]
    """Answer the survey of a point like a phone does (with an optional comment); the submit's reply."""
    screen = {"S1": "2", "B5.0": "2"}
    t, csrf = open_form(client, point.token, **screen)
    data = {**screen, "B1.1": "4", "B3.1": "2", **answers}
    if comment is not None:
        data["C1"] = comment
    reply = post_answers(client, point.token, t, csrf, data)
    assert reply.status_code == 303, reply.text[:500]
    return reply


def submit_and_thank(client: FlaskClient, point: ServicePoint, comment: str | None = None) -> str:
    """Submit, then open the thank-you page; its HTML."""
    reply = submit(client, point, comment)
    page = client.get(reply.headers["Location"])
    assert page.status_code == 200
    return page.text


def code_on(page: str) -> str:
    """The case code shown on a page."""
    match = CODE.search(page)
    assert match, "no case code on the page"
    return match.group(0)
