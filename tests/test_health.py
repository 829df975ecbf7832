"""GET /healthz for load balancers."""

from __future__ import annotations

from survey import create_app
from tests.conftest import TEST_CONFIG


def test_healthy(client):
    """With the database up the check answers 200 {"status": "ok"}."""
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok"}


def test_database_down_is_named(tmp_path):
    """An unreachable database gives 503 naming the database."""
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2",
        }
    )
    reply = app.test_client().get("/healthz")
    assert reply.status_code == 503
    assert reply.get_json() == {"status": "error", "down": ["database"]}
