"""Rate limits on the survey count per phone, so one busy Wi-Fi address is never locked out."""

from __future__ import annotations

from tests.factories import make_open_point
from tests.survey_client import open_form, post_answers


def test_one_phone_is_throttled_but_its_neighbour_is_not(db, app):
    """Past its per-phone budget a phone gets 429; another phone on the same address does not."""
    app.config.update(SURVEY_LIMIT_PER_DEVICE="5 per minute", SURVEY_LIMIT_PER_ADDRESS="12 per minute")
    point = make_open_point()
    first, second = app.test_client(), app.test_client()
    t1, csrf1 = open_form(first, point.token)
    t2, csrf2 = open_form(second, point.token)
    assert first.get_cookie("sipas_device").value != second.get_cookie("sipas_device").value
    statuses = [post_answers(first, point.token, t1, csrf1, {"B1.1": "8"}).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
    assert post_answers(second, point.token, t2, csrf2, {"B1.1": "8"}).status_code == 422


def test_phones_without_device_cookie_share_a_generous_address_budget(db, app):
    """Without a device cookie the limit is per address, with a larger budget than one phone's."""
    app.config.update(SURVEY_LIMIT_PER_DEVICE="5 per minute", SURVEY_LIMIT_PER_ADDRESS="12 per minute")
    point = make_open_point()
    client = app.test_client()
    t, csrf = open_form(client, point.token)
    statuses = []
    for _ in range(13):
        client.delete_cookie("sipas_device")
        statuses.append(post_answers(client, point.token, t, csrf, {"B1.1": "8"}).status_code)
    assert statuses == [422] * 12 + [429]
