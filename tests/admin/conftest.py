"""Fixtures of the administration tests: a small unit tree, one account per role, logged-in clients."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from survey.extensions import db as _db
from survey.models import ServicePoint, Unit, User
from tests.conftest import IsolatedClient
from tests.factories import PASSWORD, make_period, make_point, make_unit, make_user


class ExpiringClient(IsolatedClient):
    """The suite's isolated client (a fresh app context per request), and after each request the
    test's own session is expired, so the test reads what the request committed."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        reply = super().open(*args, **kwargs)
        if has_app_context():
            _db.session.expire_all()
        return reply


@pytest.fixture(autouse=True)
def _expiring_requests(app: Flask) -> None:
    app.test_client_class = ExpiringClient


@dataclass
class World:
    """The tree: province 12 → new ward 03408 (formed from old LC-OLD-03412) and ward 03388."""

    province: Unit
    ward: Unit
    old: Unit
    other: Unit
    point: ServicePoint
    other_point: ServicePoint
    admin: User
    analyst: User
    viewer: User


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    """Units, counters, an open period and one account per role, committed."""
    province = make_unit("12", "Tỉnh Lai Châu", "province")
    ward = make_unit("03408", "Phường Tân Phong", "ward", parent=province, valid_from=date(2025, 7, 1))
    old = make_unit(
        "LC-OLD-03412",
        "Phường Đông Phong",
        "ward",
        parent=province,
        valid_to=date(2025, 6, 30),
        successor=ward,
    )
    other = make_unit("03388", "Phường Đoàn Kết", "ward", parent=province, valid_from=date(2025, 7, 1))
    make_period()
    w = World(
        province=province,
        ward=ward,
        old=old,
        other=other,
        point=make_point(ward, "Q01", "Bộ phận Một cửa phường Tân Phong"),
        other_point=make_point(other, "Q01", "Bộ phận Một cửa phường Đoàn Kết"),
        admin=make_user("admin@snv.laichau.gov.vn", "admin"),
        analyst=make_user("analyst@snv.laichau.gov.vn", "analyst"),
        viewer=make_user("viewer@tanphong.laichau.gov.vn", "viewer", unit=ward),
    )
    db.session.commit()
    return w


def csrf(client: FlaskClient) -> str:
    """A CSRF token valid for the client's session (read from the login form)."""
    page = client.get("/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the login page"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """POST the login form."""
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf(client)})


def post(client: FlaskClient, url: str, data: dict | None = None, **kw):  # type: ignore[no-untyped-def,type-arg]
    """POST a form with a valid CSRF token."""
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kw)


def _client_as(app: Flask, user: User | None) -> FlaskClient:
    client = app.test_client()
    if user is not None:
        assert login(client, user.email).status_code == 303
    return client


@pytest.fixture
def as_admin(app: Flask, world: World) -> FlaskClient:
    """A client logged in as the admin."""
    return _client_as(app, world.admin)


@pytest.fixture
def as_analyst(app: Flask, world: World) -> FlaskClient:
    """A client logged in as the analyst."""
    return _client_as(app, world.analyst)


@pytest.fixture
def as_viewer(app: Flask, world: World) -> FlaskClient:
    """A client logged in as the viewer of ward 03408."""
    return _client_as(app, world.viewer)
