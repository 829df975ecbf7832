"""The hardening tests share the administration tests' small world and logged-in clients."""

from __future__ import annotations

import pytest

from tests.admin.conftest import ExpiringClient, as_admin, as_analyst, world  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _expiring_requests(request: pytest.FixtureRequest) -> None:
    """As in the administration tests, but only for tests on the shared `app` fixture."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").test_client_class = ExpiringClient
