"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`. The only create_app() at import."""

from survey import create_app

app = create_app()
